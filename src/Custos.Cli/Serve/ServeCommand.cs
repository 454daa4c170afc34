using System.CommandLine;
using System.Text;
using Custos.Server;
using Custos.Server.Configuration;

namespace Custos.Cli.Serve;

/// <summary><c>custos serve</c>: flags &gt; environment (CUSTOS_SECTION__KEY) &gt; YAML file &gt; defaults.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string?>("--data-dir") { Description = "Data directory (default ./custos-data). Key: server.data_dir" };
        var listen = new Option<string?>("--listen") { Description = "HOST:PORT of the HTTPS API (default 127.0.0.1:3080). Key: server.listen" };
        var database = new Option<string?>("--database") { Description = "SQLite file, postgres://user@host:port/db or an Npgsql connection string (default DIR/custos.db). Password only via PGPASSWORD or a passfile. Key: database.url" };
        var config = new Option<string?>("--config") { Description = "YAML configuration file." };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate for the API (default: generated DIR/tls/server.crt). Key: tls.cert" };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key for --tls-cert. Key: tls.key" };
        var tlsSan = new Option<string[]>("--tls-san") { Description = "Extra DNS name or IP for the generated certificate (repeatable). Key: tls.sans", AllowMultipleArgumentsPerToken = false };
        var logLevel = new Option<string?>("--log-level") { Description = "trace, debug, information, warning, error or critical. Key: log.level" };

        var command = new Command("serve", "Run the Custos server (embedded SQLite unless --database names PostgreSQL).\n\n" + KeyTable())
        {
            dataDir, listen, database, config, tlsCert, tlsKey, tlsSan, logLevel,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var flags = new Dictionary<string, string?>();
            void Flag(string key, string? value)
            {
                if (value is not null) flags[key] = value;
            }
            Flag("server.data_dir", parse.GetValue(dataDir));
            Flag("server.listen", parse.GetValue(listen));
            Flag("database.url", parse.GetValue(database));
            Flag("tls.cert", parse.GetValue(tlsCert));
            Flag("tls.key", parse.GetValue(tlsKey));
            Flag("log.level", parse.GetValue(logLevel));
            var sans = parse.GetValue(tlsSan);
            if (sans is { Length: > 0 }) flags["tls.sans"] = string.Join(',', sans);

            CustosOptions options;
            try
            {
                options = ConfigurationLoader.Load(parse.GetValue(config), flags);
                if (options.DatabaseUrl is not null) Custos.Storage.DatabaseLocation.Parse(options.DatabaseUrl);
            }
            catch (ConfigurationException e)
            {
                await Console.Error.WriteLineAsync("custos serve: " + e.Message);
                return ExitCodes.Usage;
            }
            catch (Custos.Storage.StorageException e)
            {
                await Console.Error.WriteLineAsync("custos serve: " + e.Message);
                return ExitCodes.Usage;
            }
            return await CustosServer.RunAsync(options, cancellationToken);
        });
        return command;
    }

    private static string KeyTable()
    {
        var text = new StringBuilder("Configuration keys (YAML path; environment CUSTOS_SECTION__KEY, e.g. CUSTOS_SERVER__LISTEN):\n");
        foreach (var key in ConfigurationKeys.All)
            text.Append("  ").Append(key.Path.PadRight(26)).Append(key.Flag is null ? "" : $"[{key.Flag}] ").Append("default ").Append(key.Default).Append(". ").Append(key.Description).Append('\n');
        text.Append("Master key: DIR/master.key (0600), or CUSTOS_MASTER_KEY (base64 of 32 bytes).");
        return text.ToString();
    }
}
