namespace Custos.Ssh.Transport;

/// <summary>
/// A server host key (or host certificate) as the transport needs it (RFC 4253 §8): the algorithms it
/// can sign for, the K_S blob sent to the client, and signing of the exchange hash.
/// </summary>
public abstract class SshHostKey
{
    /// <summary>Host key algorithm names this key serves, in preference order (e.g. rsa-sha2-512, rsa-sha2-256).</summary>
    public abstract IReadOnlyList<string> Algorithms { get; }

    /// <summary>K_S: the public key blob, or the certificate blob for a *-cert-v01 algorithm.</summary>
    public abstract byte[] GetPublicBlob(string algorithm);

    /// <summary>Signs <paramref name="data"/>; returns the SSH signature blob (string format, string signature).</summary>
    public abstract byte[] Sign(ReadOnlySpan<byte> data, string algorithm);
}

/// <summary>
/// The client's decision about a server's host key (RFC 4251 §4.1): whether the key or certificate is
/// trusted for this host, and whether the signature over the exchange hash is valid.
/// </summary>
public interface IHostKeyVerifier
{
    /// <summary>Host key algorithms the client offers, in preference order.</summary>
    IReadOnlyList<string> Algorithms { get; }

    /// <summary>Returns true only if <paramref name="hostKeyBlob"/> is trusted and <paramref name="signature"/> is its valid signature over <paramref name="exchangeHash"/>.</summary>
    ValueTask<bool> VerifyAsync(string algorithm, ReadOnlyMemory<byte> hostKeyBlob, ReadOnlyMemory<byte> exchangeHash, ReadOnlyMemory<byte> signature, CancellationToken cancellationToken);
}
