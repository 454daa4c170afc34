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
        new("auth.session_ttl", null, "8h", "Lifetime of a login session's bearer token (at most 12h)."),
        new("auth.invitation_ttl", null, "24h", "Default lifetime of invitations and password/MFA reset invitations."),
        new("auth.mfa_required_for_users", null, "true", "Require MFA for every human user; false relaxes it for non-administrators only."),
        new("auth.step_up_window", null, "5m", "How recent an MFA check must be for sensitive administrative actions."),
        new("auth.lockout.user_source_threshold", null, "5", "Failed logins of one user from one address before that pair is locked."),
        new("auth.lockout.user_threshold", null, "20", "Failed logins of one user from all addresses before the user is locked (addresses the user logged in from recently are exempt)."),
        new("auth.lockout.source_threshold", null, "50", "Failed logins from one address (any users) before the address is locked."),
        new("auth.lockout.window", null, "15m", "Failures older than this are forgotten."),
        new("auth.lockout.base_duration", null, "1m", "First lockout duration; each consecutive lockout doubles it."),
        new("auth.lockout.max_duration", null, "30m", "Longest lockout."),
        new("auth.lockout.known_source_ttl", null, "30d", "A successful login from an address exempts it from the user-wide lockout for this long."),
        new("auth.password_hash_concurrency", null, "max(2, cores)", "Argon2id computations at once (19 MiB each); more wait, then get 503."),
        new("auth.password_hash_queue_timeout", null, "2s", "How long a login waits for a free Argon2id slot."),
        new("auth.session_cache_max_age", null, "30s", "A cached session is re-read from the database after this long (role changes made on another instance)."),
        new("auth.revocation_poll_interval", null, "1s", "How often an instance polls the database for sessions revoked elsewhere."),
        new("server.trusted_proxies", null, "[]", "Addresses or CIDR ranges of reverse proxies whose X-Forwarded-For is believed."),
        new("webauthn.rp_id", null, "localhost", "WebAuthn relying-party id: the host name users reach Custos by (not an IP address)."),
        new("webauthn.rp_name", null, "Custos", "WebAuthn relying-party display name."),
        new("webauthn.origins", null, "[https://localhost:PORT]", "Origins accepted in WebAuthn client data."),
        new("bots.credential_ttl", null, "1h", "Default lifetime of a bot's access token and renewal credential."),
        new("bots.join_ttl", null, "24h", "Lifetime of a bot join token."),
        new("policy.poll_interval", null, "1s", "How often an instance checks for role, mapping or resource changes made by another instance and recompiles the policy."),
        new("policy.import_max_bytes", null, "33554432", "Largest inventory import (custos admin resources import) accepted by the API."),
        new("ca.ssh.algorithm", null, "ed25519", "Key type of the SSH user and host CA keys created at first start (or at a rotation): ed25519 or ecdsa-p256."),
        new("ca.ssh.user_cert_ttl", null, "5m", "Default and largest lifetime of a user certificate for direct access (also capped by the role's max_ttl and the session)."),
        new("ca.ssh.clock_skew", null, "1m", "How far a certificate's valid-after is backdated for nodes whose clocks run behind."),
        new("ca.ssh.issue_rate_per_minute", null, "60", "User certificates one identity may be issued per minute (per instance); more get 429."),
        new("ca.ssh.issue_burst", null, "20", "User certificates one identity may be issued at once before ca.ssh.issue_rate_per_minute applies."),
        new("ca.ssh.host_cert_ttl", null, "7d", "Lifetime of the host certificate an enrolled node gets; custos node sync renews it once half of it has passed."),
        new("ca.ssh.known_hosts_domain", null, "", "Restrict exported @cert-authority lines to *.DOMAIN (e.g. nodes.example.com) instead of listing every enrolled node; never *."),
        new("log.level", "--log-level", "information", "Minimum log level: trace, debug, information, warning, error, critical."),
    ];

    /// <summary>The .NET configuration path of a key (section separator ':').</summary>
    public static string ToConfigPath(string path) => path.Replace('.', ':');
}
