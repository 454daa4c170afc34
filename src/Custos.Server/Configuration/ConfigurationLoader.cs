using System.Collections;
using System.Globalization;
using System.Net;
using Custos.Core.Audit;
using Microsoft.Extensions.Configuration;

namespace Custos.Server.Configuration;

/// <summary>
/// Builds <see cref="CustosOptions"/> from defaults &lt; YAML file &lt; environment (<c>CUSTOS_SECTION__KEY</c>) &lt;
/// command-line flags, and validates every layer: an unknown key or a bad value is a <see cref="ConfigurationException"/>
/// naming the key, its source and the problem.
/// </summary>
public static class ConfigurationLoader
{
    private static readonly HashSet<string> KnownPaths =
        ConfigurationKeys.All.Select(k => k.Path).ToHashSet(StringComparer.OrdinalIgnoreCase);

    public static CustosOptions Load(string? configFile, IReadOnlyDictionary<string, string?> flags, IDictionary? environment = null)
    {
        var layers = new List<(string Source, IConfiguration Configuration)>();
        if (configFile is not null)
        {
            var full = Path.GetFullPath(configFile);
            if (!File.Exists(full)) throw new ConfigurationException($"--config: file {full} does not exist");
            IConfiguration yaml;
            try
            {
                yaml = new ConfigurationBuilder().AddYamlFile(full, optional: false, reloadOnChange: false).Build();
            }
            catch (Exception e) when (e is FormatException or InvalidDataException or YamlDotNet.Core.YamlException)
            {
                throw new ConfigurationException($"--config {full}: not valid YAML: {e.Message}", e);
            }
            layers.Add(($"config file {full}", yaml));
        }
        layers.Add(("environment", new ConfigurationBuilder().AddInMemoryCollection(FromEnvironment(environment ?? Environment.GetEnvironmentVariables())).Build()));
        layers.Add(("command line", new ConfigurationBuilder().AddInMemoryCollection(flags.Select(kv => new KeyValuePair<string, string?>(ConfigurationKeys.ToConfigPath(kv.Key), kv.Value))).Build()));

        foreach (var (source, configuration) in layers) CheckKeys(source, configuration);

        var merged = new ConfigurationBuilder();
        foreach (var (_, configuration) in layers) merged.AddConfiguration(configuration);
        return Bind(merged.Build());
    }

    /// <summary>CUSTOS_SERVER__LISTEN becomes server:listen. Variables without "__" (CUSTOS_MASTER_KEY, CUSTOS_HOME) are not configuration.</summary>
    private static IEnumerable<KeyValuePair<string, string?>> FromEnvironment(IDictionary environment)
    {
        foreach (DictionaryEntry entry in environment)
        {
            var name = (string)entry.Key;
            if (!name.StartsWith("CUSTOS_", StringComparison.Ordinal) || !name.Contains("__", StringComparison.Ordinal)) continue;
            yield return new(name["CUSTOS_".Length..].Replace("__", ":", StringComparison.Ordinal).ToLowerInvariant(), entry.Value as string);
        }
    }

    private static void CheckKeys(string source, IConfiguration configuration)
    {
        foreach (var (key, value) in configuration.AsEnumerable())
        {
            if (value is null) continue;
            var path = key.Replace(':', '.');
            // List items: tls.sans.0, tls.sans.1 ...
            var lastDot = path.LastIndexOf('.');
            if (lastDot > 0 && int.TryParse(path.AsSpan(lastDot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out _))
                path = path[..lastDot];
            if (!KnownPaths.Contains(path))
                throw new ConfigurationException($"{source}: unknown configuration key \"{path}\" (see custos serve --help or docs/configuration.md)");
        }
    }

    private static CustosOptions Bind(IConfiguration c)
    {
        var dataDir = Path.GetFullPath(Get(c, "server.data_dir") ?? "./custos-data");
        var listenText = Get(c, "server.listen") ?? "127.0.0.1:3080";
        var (listen, host) = ParseListen(listenText);
        var sans = c.GetSection("tls:sans").GetChildren().Select(s => s.Value).Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v!.Trim()).ToList();
        var single = Get(c, "tls.sans");
        if (single is not null) sans.AddRange(single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        foreach (var san in sans)
        {
            if (!IPAddress.TryParse(san, out _) && Uri.CheckHostName(san) != UriHostNameType.Dns)
                throw new ConfigurationException($"tls.sans: \"{san}\" is neither a DNS name nor an IP address");
        }
        var cert = Get(c, "tls.cert");
        var key = Get(c, "tls.key");
        if ((cert is null) != (key is null))
            throw new ConfigurationException("tls.cert and tls.key: give both or neither");
        var level = Get(c, "log.level") ?? "information";
        if (!Enum.TryParse<Microsoft.Extensions.Logging.LogLevel>(level, ignoreCase: true, out _) || int.TryParse(level, out _))
            throw new ConfigurationException($"log.level: \"{level}\" is not one of trace, debug, information, warning, error, critical");

        return new CustosOptions
        {
            DataDir = dataDir,
            Listen = listen,
            ListenHost = host,
            DatabaseUrl = Get(c, "database.url"),
            DatabaseRetryMax = Duration(c, "database.retry_max", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)),
            TlsCert = cert is null ? null : Path.GetFullPath(cert),
            TlsKey = key is null ? null : Path.GetFullPath(key),
            TlsSans = sans,
            HttpMaxBodyBytes = Integer(c, "http.max_body_bytes", 1024 * 1024, 1024, 64L * 1024 * 1024),
            ShutdownTimeout = Duration(c, "server.shutdown_timeout", TimeSpan.FromSeconds(30), TimeSpan.Zero, TimeSpan.FromHours(1)),
            BootstrapTokenTtl = Duration(c, "bootstrap.token_ttl", TimeSpan.FromHours(1), TimeSpan.FromMinutes(1), TimeSpan.FromDays(1)),
            PolicyPollInterval = Duration(c, "policy.poll_interval", TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5)),
            PolicyImportMaxBytes = Integer(c, "policy.import_max_bytes", 32L * 1024 * 1024, 1024, 256L * 1024 * 1024),
            LogLevel = level,
            Identity = BindIdentity(c),
            SshCa = new SshCaOptions
            {
                Algorithm = Get(c, "ca.ssh.algorithm")?.ToLowerInvariant() switch
                {
                    null or "ed25519" => "ed25519",
                    "ecdsa-p256" => "ecdsa-p256",
                    var other => throw new ConfigurationException($"ca.ssh.algorithm: \"{other}\" is not ed25519 or ecdsa-p256"),
                },
                UserCertificateTtl = Duration(c, "ca.ssh.user_cert_ttl", TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(30), TimeSpan.FromHours(12)),
                ClockSkew = Duration(c, "ca.ssh.clock_skew", TimeSpan.FromMinutes(1), TimeSpan.Zero, TimeSpan.FromMinutes(30)),
                IssueRatePerMinute = (int)Integer(c, "ca.ssh.issue_rate_per_minute", 60, 1, 1_000_000),
                IssueBurst = (int)Integer(c, "ca.ssh.issue_burst", 20, 1, 1_000_000),
                HostCertificateTtl = Duration(c, "ca.ssh.host_cert_ttl", TimeSpan.FromDays(7), TimeSpan.FromHours(1), TimeSpan.FromDays(365)),
                KnownHostsDomain = KnownHostsDomain(Get(c, "ca.ssh.known_hosts_domain")),
            },
            Audit = new AuditLogOptions
            {
                CheckpointEveryEvents = (int)Integer(c, "audit.checkpoint_events", 1000, 1, 1_000_000),
                CheckpointInterval = Duration(c, "audit.checkpoint_interval", TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1)),
                MaxBatchSize = (int)Integer(c, "audit.max_batch", 1024, 1, 65_536),
                QueueCapacity = (int)Integer(c, "audit.queue_capacity", 65_536, 16, 10_000_000),
            },
        };
    }

    /// <summary>A domain (<c>nodes.example.com</c> or <c>*.nodes.example.com</c>) as the pattern <c>*.DOMAIN</c>; never a bare <c>*</c>.</summary>
    private static string? KnownHostsDomain(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var domain = value.Trim().ToLowerInvariant();
        if (domain.StartsWith("*.", StringComparison.Ordinal)) domain = domain[2..];
        var labels = domain.Split('.');
        if (labels.Length < 2 || labels.Any(l => l.Length is 0 or > 63 || !l.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '-') || l.StartsWith('-') || l.EndsWith('-')))
            throw new ConfigurationException($"ca.ssh.known_hosts_domain: \"{value}\" is not a domain such as nodes.example.com or *.nodes.example.com (at least two labels, no other wildcards; never *)");
        return "*." + domain;
    }

    private static IdentityOptions BindIdentity(IConfiguration c)
    {
        var defaults = new IdentityOptions();
        var lockout = new LockoutOptions();
        var rpId = Get(c, "webauthn.rp_id") ?? defaults.WebAuthnRelyingPartyId;
        if (IPAddress.TryParse(rpId, out _) || Uri.CheckHostName(rpId) != UriHostNameType.Dns)
            throw new ConfigurationException($"webauthn.rp_id: \"{rpId}\" must be a DNS host name (an IP address cannot be a WebAuthn relying-party id)");
        var origins = List(c, "webauthn.origins");
        foreach (var origin in origins)
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.AbsolutePath != "/")
                throw new ConfigurationException($"webauthn.origins: \"{origin}\" is not an origin such as https://custos.example.com:3080");
        }
        var proxies = new List<IPNetwork>();
        foreach (var proxy in List(c, "server.trusted_proxies"))
        {
            if (IPNetwork.TryParse(proxy, out var network)) proxies.Add(network);
            else if (IPAddress.TryParse(proxy, out var address)) proxies.Add(new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            else throw new ConfigurationException($"server.trusted_proxies: \"{proxy}\" is neither an IP address nor a CIDR range");
        }
        return new IdentityOptions
        {
            SessionTtl = Duration(c, "auth.session_ttl", defaults.SessionTtl, TimeSpan.FromMinutes(1), IdentityOptions.MaxSessionTtl),
            InvitationTtl = Duration(c, "auth.invitation_ttl", defaults.InvitationTtl, TimeSpan.FromMinutes(5), TimeSpan.FromDays(30)),
            MfaRequiredForUsers = Boolean(c, "auth.mfa_required_for_users", true),
            StepUpWindow = Duration(c, "auth.step_up_window", defaults.StepUpWindow, TimeSpan.FromSeconds(30), TimeSpan.FromHours(1)),
            Lockout = new LockoutOptions
            {
                UserSourceThreshold = (int)Integer(c, "auth.lockout.user_source_threshold", lockout.UserSourceThreshold, 1, 1000),
                UserThreshold = (int)Integer(c, "auth.lockout.user_threshold", lockout.UserThreshold, 1, 100_000),
                SourceThreshold = (int)Integer(c, "auth.lockout.source_threshold", lockout.SourceThreshold, 1, 1_000_000),
                Window = Duration(c, "auth.lockout.window", lockout.Window, TimeSpan.FromSeconds(10), TimeSpan.FromDays(1)),
                BaseDuration = Duration(c, "auth.lockout.base_duration", lockout.BaseDuration, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1)),
                MaxDuration = Duration(c, "auth.lockout.max_duration", lockout.MaxDuration, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1)),
                KnownSourceTtl = Duration(c, "auth.lockout.known_source_ttl", lockout.KnownSourceTtl, TimeSpan.Zero, TimeSpan.FromDays(365)),
            },
            PasswordHashConcurrency = (int)Integer(c, "auth.password_hash_concurrency", defaults.PasswordHashConcurrency, 1, 256),
            PasswordHashQueueTimeout = Duration(c, "auth.password_hash_queue_timeout", defaults.PasswordHashQueueTimeout, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(1)),
            SessionCacheMaxAge = Duration(c, "auth.session_cache_max_age", defaults.SessionCacheMaxAge, TimeSpan.Zero, TimeSpan.FromMinutes(10)),
            RevocationPollInterval = Duration(c, "auth.revocation_poll_interval", defaults.RevocationPollInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1)),
            TrustedProxies = proxies,
            WebAuthnRelyingPartyId = rpId,
            WebAuthnRelyingPartyName = Get(c, "webauthn.rp_name") ?? defaults.WebAuthnRelyingPartyName,
            WebAuthnOrigins = origins,
            BotCredentialTtl = Duration(c, "bots.credential_ttl", defaults.BotCredentialTtl, TimeSpan.FromMinutes(1), IdentityOptions.MaxSessionTtl),
            BotJoinTtl = Duration(c, "bots.join_ttl", defaults.BotJoinTtl, TimeSpan.FromMinutes(1), TimeSpan.FromDays(30)),
        };
    }

    /// <summary>A list key given as YAML items or as one comma-separated value.</summary>
    private static List<string> List(IConfiguration c, string path)
    {
        var items = c.GetSection(ConfigurationKeys.ToConfigPath(path)).GetChildren().Select(s => s.Value).Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v!.Trim()).ToList();
        var single = Get(c, path);
        if (single is not null) items.AddRange(single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return items;
    }

    private static bool Boolean(IConfiguration c, string key, bool fallback)
    {
        var text = Get(c, key);
        if (text is null) return fallback;
        return text.ToLowerInvariant() switch
        {
            "true" or "yes" or "1" => true,
            "false" or "no" or "0" => false,
            _ => throw new ConfigurationException($"{key}: \"{text}\" is not true or false"),
        };
    }

    private static string? Get(IConfiguration c, string path)
    {
        var value = c[ConfigurationKeys.ToConfigPath(path)];
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    public static (IPEndPoint EndPoint, string Host) ParseListen(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
            throw new ConfigurationException($"server.listen: expected HOST:PORT, got \"{text}\"");
        var host = text[..colon].Trim('[', ']');
        // Port 0 would bind a random port that the terminal's next command and the audit log could not name.
        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new ConfigurationException($"server.listen: port must be 1-65535, got \"{text[(colon + 1)..]}\"");
        IPAddress address;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) address = IPAddress.Loopback;
        else if (host is "*" or "0.0.0.0") address = IPAddress.Any;
        else if (!IPAddress.TryParse(host, out address!))
            throw new ConfigurationException($"server.listen: host must be an IP address, localhost or *, got \"{host}\"");
        return (new IPEndPoint(address, port), host);
    }

    public static TimeSpan ParseDuration(string text, string key)
    {
        var t = text.Trim();
        var unitStart = 0;
        while (unitStart < t.Length && (char.IsAsciiDigit(t[unitStart]) || t[unitStart] == '.')) unitStart++;
        if (unitStart == 0 || !double.TryParse(t.AsSpan(0, unitStart), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
            throw new ConfigurationException($"{key}: \"{text}\" is not a duration such as 500ms, 10s, 5m, 1h");
        return t[unitStart..] switch
        {
            "ms" => TimeSpan.FromMilliseconds(n),
            "s" or "" => TimeSpan.FromSeconds(n),
            "m" => TimeSpan.FromMinutes(n),
            "h" => TimeSpan.FromHours(n),
            "d" => TimeSpan.FromDays(n),
            _ => throw new ConfigurationException($"{key}: \"{text}\" has an unknown unit (use ms, s, m, h or d)"),
        };
    }

    private static TimeSpan Duration(IConfiguration c, string key, TimeSpan fallback, TimeSpan min, TimeSpan max)
    {
        var text = Get(c, key);
        if (text is null) return fallback;
        var value = ParseDuration(text, key);
        if (value < min || value > max)
            throw new ConfigurationException($"{key}: {text} is out of range ({min} to {max})");
        return value;
    }

    private static long Integer(IConfiguration c, string key, long fallback, long min, long max)
    {
        var text = Get(c, key);
        if (text is null) return fallback;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            throw new ConfigurationException($"{key}: \"{text}\" is not a whole number");
        if (value < min || value > max)
            throw new ConfigurationException($"{key}: {value} is out of range ({min}-{max})");
        return value;
    }
}
