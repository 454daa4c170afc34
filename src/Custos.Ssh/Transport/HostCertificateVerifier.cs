using Custos.Ssh.Certificates;
using Custos.Ssh.Keys;

namespace Custos.Ssh.Transport;

/// <summary>
/// Trusts host certificates signed by the given host CAs for <c>hostName</c> (the @cert-authority model),
/// validated by issue 5's <see cref="SshCertificateValidator"/>; optionally also pinned plain keys.
/// </summary>
public sealed class HostCertificateVerifier : IHostKeyVerifier
{
    private static readonly string[] CertificateAlgorithms =
    [
        "ssh-ed25519-cert-v01@openssh.com", "ecdsa-sha2-nistp256-cert-v01@openssh.com",
        "rsa-sha2-512-cert-v01@openssh.com", "rsa-sha2-256-cert-v01@openssh.com",
    ];

    private readonly SshCertificateValidator _validator;
    private readonly string _hostName;
    private readonly PinnedHostKeyVerifier? _pinned;

    public HostCertificateVerifier(SshCertificateValidator validator, string hostName, params SshPublicKey[] pinnedKeys)
    {
        _validator = validator;
        _hostName = hostName;
        _pinned = pinnedKeys.Length > 0 ? new PinnedHostKeyVerifier(pinnedKeys) : null;
        Algorithms = [.. CertificateAlgorithms, .. _pinned?.Algorithms ?? []];
    }

    public IReadOnlyList<string> Algorithms { get; }

    /// <summary>Why the last certificate was refused, for diagnostics.</summary>
    public string? LastFailure { get; private set; }

    public ValueTask<bool> VerifyAsync(string algorithm, ReadOnlyMemory<byte> hostKeyBlob, ReadOnlyMemory<byte> exchangeHash, ReadOnlyMemory<byte> signature, CancellationToken cancellationToken)
    {
        if (!algorithm.EndsWith("-cert-v01@openssh.com", StringComparison.Ordinal))
        {
            return _pinned?.VerifyAsync(algorithm, hostKeyBlob, exchangeHash, signature, cancellationToken) ?? ValueTask.FromResult(false);
        }
        SshCertificate certificate;
        try
        {
            certificate = SshCertificate.Parse(hostKeyBlob.Span);
        }
        catch (SshFormatException e)
        {
            LastFailure = e.Message;
            return ValueTask.FromResult(false);
        }
        var result = _validator.Validate(certificate, SshCertificateType.Host, _hostName);
        LastFailure = result.Failure;
        return ValueTask.FromResult(result.IsValid && HostSignature.Verify(certificate, algorithm, exchangeHash.Span, signature.Span));
    }
}
