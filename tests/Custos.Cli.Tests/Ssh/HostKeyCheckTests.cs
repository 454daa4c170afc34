using System.CommandLine;
using Custos.Cli.Ssh;
using Custos.Ssh.Certificates;
using Custos.Ssh.Keys;

namespace Custos.Cli.Tests.Ssh;

/// <summary>
/// <c>custos ssh-host-key-check</c>, ssh's <c>KnownHostsCommand</c> for nodes registered by host key fingerprint: a
/// known_hosts line for the registered key only; anything else prints nothing, so strict host key checking refuses.
/// </summary>
public sealed class HostKeyCheckTests
{
    private const string Host = "[127.0.0.1]:2222";

    private static (string Type, string Base64) Parts(SshPublicKey key)
    {
        var words = key.ToText().Split(' ');
        return (words[0], words[1]);
    }

    [Fact]
    public void The_registered_key_gets_a_known_hosts_line_for_the_host_ssh_looks_up()
    {
        using var hostKey = SshPrivateKey.Generate();
        var (type, base64) = Parts(hostKey.PublicKey);
        var outcome = HostKeyCheck.Decide("node-a", hostKey.PublicKey.GetFingerprint(), Host, type, base64);
        Assert.Equal(new HostKeyCheck.Outcome($"{Host} {type} {base64}", null), outcome);
    }

    [Fact]
    public void The_registered_fingerprint_matches_however_it_was_padded_or_prefixed()
    {
        using var hostKey = SshPrivateKey.Generate();
        var (type, base64) = Parts(hostKey.PublicKey);
        var spelled = "sha256:" + hostKey.PublicKey.GetFingerprint()["SHA256:".Length..] + "=";
        Assert.NotNull(HostKeyCheck.Decide("node-a", spelled, Host, type, base64).KnownHostsLine);
    }

    [Fact]
    public void Another_key_gets_no_line_and_a_refusal_naming_both_fingerprints()
    {
        using var registered = SshPrivateKey.Generate();
        using var impostor = SshPrivateKey.Generate();
        var (type, base64) = Parts(impostor.PublicKey);
        var outcome = HostKeyCheck.Decide("node-a", registered.PublicKey.GetFingerprint(), Host, type, base64);
        Assert.Null(outcome.KnownHostsLine);
        Assert.Contains(impostor.PublicKey.GetFingerprint(), outcome.Refusal, StringComparison.Ordinal);
        Assert.Contains(registered.PublicKey.GetFingerprint(), outcome.Refusal, StringComparison.Ordinal);
        Assert.Contains("node-a", outcome.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_of_another_type_with_the_same_base64_type_label_mismatch_is_refused()
    {
        using var hostKey = SshPrivateKey.Generate();
        var (_, base64) = Parts(hostKey.PublicKey);
        var outcome = HostKeyCheck.Decide("node-a", hostKey.PublicKey.GetFingerprint(), Host, "ecdsa-sha2-nistp256", base64);
        Assert.Null(outcome.KnownHostsLine);
        Assert.NotNull(outcome.Refusal);
    }

    [Fact]
    public void Ordering_host_key_algorithms_prints_nothing_and_is_no_error()
    {
        using var hostKey = SshPrivateKey.Generate();
        Assert.Equal(new HostKeyCheck.Outcome(null, null), HostKeyCheck.Decide("node-a", hostKey.PublicKey.GetFingerprint(), Host, "NONE", "NONE"));
    }

    [Fact]
    public void For_a_host_certificate_the_plain_key_inside_it_is_checked_and_its_line_printed()
    {
        // ssh asks once, with the certificate; with no @cert-authority line for it, it retries with the plain key inside
        // against the lines printed here (it does not run the command again).
        using var hostKey = SshPrivateKey.Generate();
        using var ca = SshPrivateKey.Generate();
        var certificate = SshCertificate.Issue(new SshCertificateFields { Key = hostKey.PublicKey, Type = SshCertificateType.Host, Principals = ["node-a"] }, ca);
        var (type, base64) = Parts(certificate);
        var (plainType, plainBase64) = Parts(hostKey.PublicKey);
        Assert.Equal(new HostKeyCheck.Outcome($"{Host} {plainType} {plainBase64}", null),
            HostKeyCheck.Decide("node-a", hostKey.PublicKey.GetFingerprint(), Host, type, base64));
    }

    [Fact]
    public void A_host_certificate_for_another_key_is_refused()
    {
        using var registered = SshPrivateKey.Generate();
        using var impostor = SshPrivateKey.Generate();
        using var ca = SshPrivateKey.Generate();
        var certificate = SshCertificate.Issue(new SshCertificateFields { Key = impostor.PublicKey, Type = SshCertificateType.Host, Principals = ["node-a"] }, ca);
        var (type, base64) = Parts(certificate);
        var outcome = HostKeyCheck.Decide("node-a", registered.PublicKey.GetFingerprint(), Host, type, base64);
        Assert.Null(outcome.KnownHostsLine);
        Assert.Contains(impostor.PublicKey.GetFingerprint(), outcome.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreadable_key_is_refused()
    {
        var outcome = HostKeyCheck.Decide("node-a", "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU", Host, "ssh-ed25519", "bm90IGEga2V5");
        Assert.Null(outcome.KnownHostsLine);
        Assert.NotNull(outcome.Refusal);
    }

    [Fact]
    public async Task As_a_command_it_prints_the_line_and_exits_0_for_the_registered_key_and_exits_1_otherwise()
    {
        using var registered = SshPrivateKey.Generate();
        using var impostor = SshPrivateKey.Generate();
        var fingerprint = registered.PublicKey.GetFingerprint();

        var (type, base64) = Parts(registered.PublicKey);
        var (exit, output, error) = await RunAsync(HostKeyCheck.CommandName, "--node", "node-a", "--fingerprint", fingerprint, "HOSTNAME", Host, type, base64);
        Assert.Equal((0, $"{Host} {type} {base64}\n", ""), (exit, output, error));

        (type, base64) = Parts(impostor.PublicKey);
        (exit, output, error) = await RunAsync(HostKeyCheck.CommandName, "--node", "node-a", "--fingerprint", fingerprint, "HOSTNAME", Host, type, base64);
        Assert.Equal((1, ""), (exit, output));
        Assert.StartsWith("custos ssh: ", error, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Out, string Error)> RunAsync(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var exit = await CustosCommandLine.CreateRoot().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }
}
