using System.CommandLine;
using Custos.Cli.Client;
using Custos.Ssh;
using Custos.Ssh.Keys;

namespace Custos.Cli.Ssh;

/// <summary>
/// <c>custos ssh-host-key-check</c> (hidden): the <c>KnownHostsCommand</c> that <c>custos ssh</c> gives ssh for a node
/// registered with a host key fingerprint. ssh runs it with the key the node offered; it prints a known_hosts line for
/// that key only when the key's SHA-256 fingerprint is the registered one. Another key makes it say why and exit 1,
/// on which ssh ends the connection ("KnownHostsCommand failed"); anything else prints nothing, so ssh, with
/// <c>StrictHostKeyChecking=yes</c>, knows no key for the host and refuses it. The check fails closed.
/// </summary>
public static class HostKeyCheck
{
    public const string CommandName = "ssh-host-key-check";

    /// <summary>What to print for one lookup: a known_hosts line, or nothing; and why not, when the key is refused.</summary>
    public sealed record Outcome(string? KnownHostsLine, string? Refusal);

    /// <summary>
    /// Decides one lookup. <paramref name="keyType"/> and <paramref name="keyBase64"/> are "NONE" when ssh asks only to
    /// order its host key algorithms (nothing is known then, so nothing is printed). For a host certificate, the plain
    /// key it certifies is checked, and its line printed: ssh falls back to it when no CA vouches for the certificate.
    /// </summary>
    public static Outcome Decide(string node, string registeredFingerprint, string hostname, string keyType, string keyBase64)
    {
        if (keyType == "NONE" || keyBase64 == "NONE") return new Outcome(null, null);
        if (!CertificateFingerprint.TryParse(registeredFingerprint, out var registered, out var error))
            return new Outcome(null, $"the registered host key fingerprint of {node} is unusable: {error}");
        SshPublicKey offered;
        try
        {
            offered = SshPublicKey.ParseText(keyType + " " + keyBase64);
        }
        catch (SshFormatException e)
        {
            return new Outcome(null, $"{hostname} offered a host key ssh passed on unreadably ({e.Message})");
        }
        // ssh asks once, with the key the node offered. For a host certificate that no @cert-authority line vouches for, it
        // then retries with the plain key inside it against what this command printed (OpenSSH 9.2 does not ask again):
        // so the line must name that plain key.
        if (offered is Custos.Ssh.Certificates.SshCertificate certificate) offered = certificate.Key;
        var fingerprint = offered.GetFingerprint();
        if (fingerprint != CertificateFingerprint.Format(registered))
        {
            return new Outcome(null, $"{hostname} offered the host key {fingerprint}, but {node} is registered with " +
                $"{CertificateFingerprint.Format(registered)}; refusing to connect (if the node's key was replaced, an administrator must update the registration)");
        }
        return new Outcome($"{hostname} {offered.ToText()}", null);
    }

    public static Command Create()
    {
        var node = new Option<string>("--node") { Description = "The node's name (for messages).", Required = true };
        var fingerprint = new Option<string>("--fingerprint") { Description = "The registered host key fingerprint, SHA256:BASE64.", Required = true };
        var invocation = new Argument<string>("INVOCATION") { Description = "%I: ORDER, HOSTNAME or ADDRESS." };
        var hostname = new Argument<string>("HOST") { Description = "%H: the host as known_hosts names it." };
        var keyType = new Argument<string>("KEY-TYPE") { Description = "%t: the offered key's type, or NONE." };
        var key = new Argument<string>("KEY") { Description = "%K: the offered key in base64, or NONE." };
        var command = new Command(CommandName, "Print a known_hosts line for a host key whose fingerprint is the registered one (run by ssh as KnownHostsCommand).")
        {
            node, fingerprint, invocation, hostname, keyType, key,
        };
        command.Hidden = true;
        command.SetAction(async (parse, _) =>
        {
            var outcome = Decide(parse.GetValue(node)!, parse.GetValue(fingerprint)!, parse.GetValue(hostname)!, parse.GetValue(keyType)!, parse.GetValue(key)!);
            if (outcome.KnownHostsLine is { } line) await parse.InvocationConfiguration.Output.WriteLineAsync(line);
            if (outcome.Refusal is null) return ExitCodes.Success;
            await parse.InvocationConfiguration.Error.WriteLineAsync("custos ssh: " + outcome.Refusal);
            return ExitCodes.Failure;
        });
        return command;
    }
}
