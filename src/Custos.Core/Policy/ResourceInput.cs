using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Custos.Core.Policy;

/// <summary>
/// A resource as a caller describes it (API body or one entry of an inventory YAML), before validation. <see cref="Build"/>
/// checks every field and returns the resource to store, or the problems keyed by field name.
/// </summary>
public sealed partial record ResourceInput(
    string? Name,
    string? Kind,
    string? Address,
    IReadOnlyList<string>? Databases,
    string? HostKeyFingerprint,
    bool? TrustHostCa,
    string? Url,
    IReadOnlyDictionary<string, string>? Labels)
{
    public const int MaxNameLength = 64;
    public const int MaxLabels = 64;
    public const int MaxLabelValueLength = 256;
    public const int MaxDatabases = 64;
    public const int MaxUrlLength = 2048;
    public const int DefaultSshPort = 22;
    public const int DefaultPostgresPort = 5432;

    /// <summary>Resource names: lowercase letters, digits, <c>.</c>, <c>-</c>, <c>_</c>; starting with a letter or digit; at most 64.</summary>
    public static bool IsValidName(string? name) =>
        name is { Length: > 0 and <= MaxNameLength }
        && (char.IsAsciiLetterLower(name[0]) || char.IsAsciiDigit(name[0]))
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-' or '_');

    /// <summary>
    /// The resource to store (revision 1, both times <paramref name="now"/>), or null with <paramref name="errors"/>
    /// filled (field name → message). Field names: name, kind, address, databases, host_key_fingerprint, trust_host_ca,
    /// url, labels.
    /// </summary>
    public StoredResource? Build(DateTimeOffset now, out IReadOnlyList<(string Field, string Message)> errors)
    {
        var problems = new List<(string, string)>();
        if (Name is null) problems.Add(("name", "required"));
        else if (!IsValidName(Name)) problems.Add(("name", $"expected a resource name: lowercase letters, digits, '.', '-' or '_', starting with a letter or digit, at most {MaxNameLength} characters"));

        ResourceKind kind = default;
        var kindOk = Kind is not null && ResourceKindNames.TryParse(Kind, out kind);
        if (Kind is null) problems.Add(("kind", "required: ssh_node, database or app"));
        else if (!kindOk) problems.Add(("kind", $"unknown kind '{Clip(Kind)}': expected ssh_node, database or app"));

        string host = "";
        var port = 0;
        if (kindOk && kind is ResourceKind.SshNode or ResourceKind.Database)
        {
            if (string.IsNullOrEmpty(Address)) problems.Add(("address", "required for this kind: HOST:PORT"));
            else if (!TryParseAddress(Address, kind == ResourceKind.SshNode ? DefaultSshPort : DefaultPostgresPort, out host, out port, out var why))
                problems.Add(("address", why));
        }
        else if (kindOk && Address is { Length: > 0 })
        {
            problems.Add(("address", "an app has a url, not an address"));
        }

        var databases = Databases ?? [];
        if (kindOk && kind != ResourceKind.Database && databases.Count > 0)
            problems.Add(("databases", "only a database has database names"));
        else if (databases.Count > MaxDatabases)
            problems.Add(("databases", $"at most {MaxDatabases} database names"));
        else if (databases.FirstOrDefault(d => d is null || d.Length is 0 or > 63 || d.Any(char.IsControl)) is { } bad)
            problems.Add(("databases", $"'{Clip(bad)}' is not a database name (1-63 characters, no control characters)"));
        else if (databases.Distinct(StringComparer.Ordinal).Count() != databases.Count)
            problems.Add(("databases", "database names must be unique"));

        if (HostKeyFingerprint is not null)
        {
            if (kindOk && kind != ResourceKind.SshNode) problems.Add(("host_key_fingerprint", "only an ssh_node has a host key"));
            else if (!FingerprintPattern().IsMatch(HostKeyFingerprint)) problems.Add(("host_key_fingerprint", "expected an OpenSSH SHA-256 fingerprint: SHA256: followed by 43 base64 characters (ssh-keygen -lf)"));
        }
        if (TrustHostCa == true && kindOk && kind != ResourceKind.SshNode)
            problems.Add(("trust_host_ca", "only an ssh_node has host certificates"));

        if (kindOk && kind == ResourceKind.App)
        {
            if (string.IsNullOrEmpty(Url)) problems.Add(("url", "required for an app: https://HOST[:PORT][/PATH]"));
            else if (Url.Length > MaxUrlLength || !Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.UserInfo.Length > 0 || Url.Any(char.IsControl))
                problems.Add(("url", "expected an absolute http or https URL without credentials"));
        }
        else if (kindOk && Url is not null)
        {
            problems.Add(("url", "only an app has a url"));
        }

        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (Labels is not null)
        {
            if (Labels.Count > MaxLabels) problems.Add(("labels", $"at most {MaxLabels} labels"));
            foreach (var (key, value) in Labels)
            {
                if (!RoleParser.IsValidLabelKey(key))
                {
                    problems.Add(("labels", $"label key '{Clip(key)}' must be 1-{RoleParser.MaxLabelKeyLength} characters of letters, digits, '.', '_', '-' or '/'"));
                    break;
                }
                if (value is null || value.Length > MaxLabelValueLength || value.Any(char.IsControl))
                {
                    problems.Add(("labels", $"label {key}: the value must be at most {MaxLabelValueLength} characters without control characters"));
                    break;
                }
                labels[key] = value;
            }
        }

        errors = problems;
        if (problems.Count > 0)
            return null;
        return new StoredResource(Name!, kind, host, port, [.. databases], HostKeyFingerprint, TrustHostCa ?? false,
            kind == ResourceKind.App ? Url : null, labels, 1, now, now);
    }

    /// <summary>Parses <c>HOST[:PORT]</c> (<c>[IPv6]:PORT</c> for IPv6); HOST is an IP address or a DNS name.</summary>
    public static bool TryParseAddress(string address, int defaultPort, out string host, out int port, out string error)
    {
        host = "";
        port = defaultPort;
        error = "";
        string portText = "";
        if (address.StartsWith('['))
        {
            var close = address.IndexOf(']', StringComparison.Ordinal);
            if (close < 0) { error = "expected [IPv6]:PORT"; return false; }
            host = address[1..close];
            var rest = address[(close + 1)..];
            if (rest.Length > 0)
            {
                if (!rest.StartsWith(':') || rest.Length == 1) { error = "expected [IPv6]:PORT"; return false; }
                portText = rest[1..];
            }
            if (!IPAddress.TryParse(host, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6) { error = $"'{Clip(host)}' is not an IPv6 address"; return false; }
        }
        else
        {
            var colon = address.LastIndexOf(':');
            if (colon >= 0 && address.IndexOf(':', StringComparison.Ordinal) != colon) { error = "write an IPv6 address in brackets: [::1]:22"; return false; }
            host = colon < 0 ? address : address[..colon];
            portText = colon < 0 ? "" : address[(colon + 1)..];
            if (colon >= 0 && portText.Length == 0) { error = "a port must follow ':'"; return false; }
            if (!IPAddress.TryParse(host, out _) && !IsDnsName(host)) { error = $"'{Clip(host)}' is neither an IP address nor a DNS name"; return false; }
        }
        if (portText.Length > 0 && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            error = $"port '{Clip(portText)}' must be a number from 1 to 65535";
            return false;
        }
        return true;
    }

    /// <summary><c>HOST:PORT</c>, brackets around IPv6 addresses.</summary>
    public static string FormatAddress(string host, int port) =>
        (host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host) + ":" + port.ToString(CultureInfo.InvariantCulture);

    private static bool IsDnsName(string host) =>
        host.Length is > 0 and <= 253
        && host.Split('.').All(l => l.Length is > 0 and <= 63 && l.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') && l[0] != '-' && l[^1] != '-');

    private static string Clip(string text) => text.Length > 64 ? text[..64] + "…" : text;

    [GeneratedRegex("^SHA256:[A-Za-z0-9+/]{43}$", RegexOptions.CultureInvariant)]
    private static partial Regex FingerprintPattern();
}
