using Custos.Ssh.Transport.Ciphers;
using Custos.Ssh.Transport.KeyExchange;

namespace Custos.Ssh.Transport;

/// <summary>Transport settings shared by both roles. Immutable; validated when a connection starts.</summary>
public sealed record SshTransportOptions
{
    /// <summary>Key exchange methods in preference order (RFC 4253 §7.1).</summary>
    public IReadOnlyList<string> KeyExchangeAlgorithms { get; init; } = KeyExchangeNames.All;

    /// <summary>Ciphers in preference order.</summary>
    public IReadOnlyList<string> Ciphers { get; init; } = CipherNames.All;

    /// <summary>Software version in the identification string (RFC 4253 §4.2).</summary>
    public string SoftwareVersion { get; init; } = "Custos_1.0";

    /// <summary>Re-key after this many bytes in either direction (RFC 4253 §9 recommends 1 GiB).</summary>
    public long RekeyBytes { get; init; } = 1L << 30;

    /// <summary>Re-key after this much time (RFC 4253 §9 recommends one hour).</summary>
    public TimeSpan RekeyInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How long the peer may take for the version exchange and first key exchange.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Test hook: behave like a pre-2023 peer that does not offer strict KEX.</summary>
    internal bool OfferStrictKex { get; init; } = true;

    internal void Validate()
    {
        Require(KeyExchangeAlgorithms, KeyExchangeNames.All, nameof(KeyExchangeAlgorithms));
        Require(Ciphers, CipherNames.All, nameof(Ciphers));
        if (RekeyBytes < 16 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(RekeyBytes), RekeyBytes, "RekeyBytes must be at least 16 KiB");
        }
        if (RekeyInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(RekeyInterval), RekeyInterval, "RekeyInterval must be positive");
        }
        if (string.IsNullOrEmpty(SoftwareVersion) || SoftwareVersion.Any(c => c is ' ' or '-' || c < 0x21 || c > 0x7e))
        {
            throw new ArgumentException("SoftwareVersion must be printable US-ASCII without spaces or '-' (RFC 4253 §4.2)", nameof(SoftwareVersion));
        }
    }

    private static void Require(IReadOnlyList<string> chosen, IReadOnlyList<string> supported, string name)
    {
        if (chosen.Count == 0)
        {
            throw new ArgumentException($"{name} must name at least one algorithm", name);
        }
        foreach (var algorithm in chosen)
        {
            if (!supported.Contains(algorithm))
            {
                throw new ArgumentException($"{name} contains unsupported algorithm '{algorithm}'", name);
            }
        }
    }
}
