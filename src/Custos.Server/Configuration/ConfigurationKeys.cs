namespace Custos.Server.Configuration;

/// <summary>One configuration key: its YAML path, flag, default and meaning. The single source for --help and validation.</summary>
public sealed record ConfigurationKey(string Path, string? Flag, string Default, string Description);

public static class ConfigurationKeys
{
    public static readonly IReadOnlyList<ConfigurationKey> All =
    [
        new("server.data_dir", "--data-dir", "./custos-data", "Directory for the SQLite database, master key, TLS files and bootstrap token (created 0700)."),
        new("server.listen", "--listen", "127.0.0.1:3080", "HOST:PORT of the HTTPS API."),
        new("server.shutdown_timeout", null, "30s", "How long in-flight requests may take to finish on SIGTERM/SIGINT."),
        new("database.url", "--database", "sqlite:DATA_DIR/custos.db", "SQLite file, or postgres://user@host:port/db, or an Npgsql connection string. Passwords only via PGPASSWORD or a passfile."),
        new("database.retry_max", null, "30s", "Longest back-off between attempts to reach an unreachable database."),
        new("tls.cert", "--tls-cert", "DATA_DIR/tls/server.crt (generated)", "PEM certificate (chain) for the API. Give with tls.key."),
        new("tls.key", "--tls-key", "DATA_DIR/tls/server.key (generated)", "PEM private key for tls.cert."),
        new("tls.sans", "--tls-san", "[]", "Extra subject alternative names (DNS names or IPs) for the generated certificate."),
        new("http.max_body_bytes", null, "1048576", "Largest accepted request body; larger requests get 413."),
        new("audit.checkpoint_events", null, "1000", "Sign a checkpoint at least every N events."),
        new("audit.checkpoint_interval", null, "10s", "Sign a checkpoint at least this often while events arrive."),
        new("audit.max_batch", null, "1024", "Largest group-commit batch of audit events."),
        new("audit.queue_capacity", null, "65536", "Pending audit appends beyond this wait (back-pressure)."),
        new("bootstrap.token_ttl", null, "1h", "Lifetime of the one-time bootstrap token."),
        new("log.level", "--log-level", "information", "Minimum log level: trace, debug, information, warning, error, critical."),
    ];

    /// <summary>The .NET configuration path of a key (section separator ':').</summary>
    public static string ToConfigPath(string path) => path.Replace('.', ':');
}
