using Custos.Ssh.Keys;

namespace Custos.Ssh.Transport;

/// <summary>A host key backed by an issue-5 <see cref="SshPrivateKey"/>, optionally with its host certificate.</summary>
public sealed class PrivateKeyHostKey : SshHostKey
{
    private readonly SshPrivateKey _key;
    private readonly byte[]? _certificate;
    private readonly Dictionary<string, string> _signatureAlgorithm = [];

    /// <param name="key">The host's private key.</param>
    /// <param name="certificateBlob">Optional host certificate for the key (its wire blob); adds the *-cert-v01 algorithms.</param>
    public PrivateKeyHostKey(SshPrivateKey key, ReadOnlyMemory<byte>? certificateBlob = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        _key = key;
        _certificate = certificateBlob?.ToArray();
        var algorithms = new List<string>();
        foreach (var signature in key.PublicKey.SignatureAlgorithms.Where(a => a != "ssh-rsa"))
        {
            if (_certificate is not null)
            {
                // RSA certificates use rsa-sha2-*-cert-v01 names (OpenSSH PROTOCOL.certkeys); others append the suffix to the key type.
                var certName = signature + "-cert-v01@openssh.com";
                algorithms.Add(certName);
                _signatureAlgorithm[certName] = signature;
            }
        }
        foreach (var signature in key.PublicKey.SignatureAlgorithms.Where(a => a != "ssh-rsa"))
        {
            algorithms.Add(signature);
            _signatureAlgorithm[signature] = signature;
        }
        Algorithms = algorithms;
    }

    public override IReadOnlyList<string> Algorithms { get; }

    public override byte[] GetPublicBlob(string algorithm) =>
        algorithm.EndsWith("-cert-v01@openssh.com", StringComparison.Ordinal) ? _certificate! : _key.PublicKey.Blob.ToArray();

    public override byte[] Sign(ReadOnlySpan<byte> data, string algorithm) => _key.Sign(data, _signatureAlgorithm[algorithm]);
}

/// <summary>Trusts exactly the given host keys (pinning), and checks the exchange-hash signature.</summary>
public sealed class PinnedHostKeyVerifier : IHostKeyVerifier
{
    private readonly SshPublicKey[] _trusted;

    public PinnedHostKeyVerifier(params SshPublicKey[] trusted)
    {
        _trusted = trusted;
        Algorithms = trusted.SelectMany(k => k.SignatureAlgorithms).Where(a => a != "ssh-rsa").Distinct().ToArray();
    }

    public IReadOnlyList<string> Algorithms { get; }

    public ValueTask<bool> VerifyAsync(string algorithm, ReadOnlyMemory<byte> hostKeyBlob, ReadOnlyMemory<byte> exchangeHash, ReadOnlyMemory<byte> signature, CancellationToken cancellationToken)
    {
        var key = _trusted.FirstOrDefault(k => k.Blob.Span.SequenceEqual(hostKeyBlob.Span));
        return ValueTask.FromResult(key is not null && HostSignature.Verify(key, algorithm, exchangeHash.Span, signature.Span));
    }
}

internal static class HostSignature
{
    /// <summary>RFC 4253 §8 / RFC 8332 §3: the signature must use exactly the negotiated algorithm.</summary>
    public static bool Verify(SshPublicKey key, string negotiatedAlgorithm, ReadOnlySpan<byte> exchangeHash, ReadOnlySpan<byte> signatureBlob)
    {
        var expected = negotiatedAlgorithm.Replace("-cert-v01@openssh.com", "", StringComparison.Ordinal);
        try
        {
            return key.Verify(exchangeHash, signatureBlob, out var signature) && signature.Algorithm == expected;
        }
        catch (SshFormatException)
        {
            return false;
        }
    }
}
