using System.Globalization;
using Custos.Ssh.Certificates;
using Custos.Ssh.Keys;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Tests.Certificates;

/// <summary>The fields of <c>ssh-keygen -L</c> output, and what they should be for a given certificate.</summary>
/// <remarks>List fields hold one entry per line, so records compare by value and failures print readably.</remarks>
internal sealed record CertificateListing(string Type, string PublicKey, string SigningCa, string KeyId, string Serial, string Valid, string Principals, string CriticalOptions, string Extensions)
{
    public static CertificateListing Read(string certificatePath)
    {
        var start = new System.Diagnostics.ProcessStartInfo(OpenSshTools.SshKeygen) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-L");
        start.ArgumentList.Add("-f");
        start.ArgumentList.Add(certificatePath);
        start.Environment["TZ"] = "UTC";
        using var process = System.Diagnostics.Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"ssh-keygen -L failed: {error}");
        return Parse(output);
    }

    public static CertificateListing Parse(string output)
    {
        var fields = new Dictionary<string, string>();
        var lists = new Dictionary<string, List<string>>();
        string? currentList = null;
        foreach (string raw in output.Split('\n').Skip(1))
        {
            if (raw.Length == 0)
            {
                continue;
            }

            string line = raw.Trim();
            if (raw.StartsWith("                ", StringComparison.Ordinal) && currentList is not null)
            {
                lists[currentList].Add(line);
                continue;
            }

            int colon = line.IndexOf(':', StringComparison.Ordinal);
            string name = line[..colon];
            string value = line[(colon + 1)..].Trim();
            fields[name] = value;
            if (name is "Principals" or "Critical Options" or "Extensions")
            {
                currentList = name;
                lists[name] = [];
            }
        }

        return new CertificateListing(fields["Type"], fields["Public key"], fields["Signing CA"], fields["Key ID"], fields["Serial"], fields["Valid"],
            Lines(lists["Principals"]), Lines(lists["Critical Options"]), Lines(lists["Extensions"]));
    }

    public static CertificateListing ExpectedFor(SshCertificate certificate) => new(
        $"{certificate.Algorithm} {(certificate.Type == SshCertificateType.User ? "user" : "host")} certificate",
        $"{certificate.DisplayType} {certificate.Key.GetFingerprint()}",
        $"{certificate.SignatureKey.DisplayType} {certificate.SignatureKey.GetFingerprint()} (using {certificate.Signature.Algorithm})",
        $"\"{certificate.KeyId}\"",
        certificate.Serial.ToString(CultureInfo.InvariantCulture),
        Validity(certificate.ValidAfter, certificate.ValidBefore),
        Lines(certificate.Principals),
        Lines(certificate.CriticalOptions.Select(o => Describe(o, isCritical: true))),
        Lines(certificate.Extensions.Select(o => Describe(o, isCritical: false))));

    private static string Lines(IEnumerable<string> lines) => string.Join('\n', lines);

    private static string Validity(ulong after, ulong before)
    {
        static string Time(ulong seconds) => DateTimeOffset.FromUnixTimeSeconds((long)seconds).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        return (after, before) switch
        {
            (0, SshCertificate.Forever) => "forever",
            (0, _) => $"before {Time(before)}",
            (_, SshCertificate.Forever) => $"after {Time(after)}",
            _ => $"from {Time(after)} to {Time(before)}",
        };
    }

    /// <summary>How ssh-keygen prints an option: known ones by value, unknown ones as hex of their data.</summary>
    private static string Describe(SshCertificateOption option, bool isCritical)
    {
        bool known = isCritical
            ? option.Name is SshCertificateOptionNames.ForceCommand or SshCertificateOptionNames.SourceAddress or SshCertificateOptionNames.VerifyRequired
            : option.Name is SshCertificateOptionNames.PermitX11Forwarding or SshCertificateOptionNames.PermitAgentForwarding or SshCertificateOptionNames.PermitPortForwarding
                or SshCertificateOptionNames.PermitPty or SshCertificateOptionNames.PermitUserRc or SshCertificateOptionNames.NoTouchRequired;
        if (known)
        {
            return option.Value.Length == 0 ? option.Name : $"{option.Name} {option.Value}";
        }

        var data = new SshWriter();
        if (option.Value.Length > 0)
        {
            data.WriteUtf8String(option.Value);
        }

        return $"{option.Name} UNKNOWN OPTION: {Convert.ToHexStringLower(data.WrittenSpan)} (len {data.Length})";
    }
}
