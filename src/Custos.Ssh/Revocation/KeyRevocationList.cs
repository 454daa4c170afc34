using Custos.Ssh.Certificates;
using Custos.Ssh.Keys;

namespace Custos.Ssh.Revocation;

/// <summary>
/// An OpenSSH key revocation list (PROTOCOL.krl), as <c>ssh-keygen -k</c> writes and sshd's
/// <c>RevokedKeys</c> reads. Answers "is this key or certificate revoked?" the way OpenSSH does:
/// by SHA-1 or SHA-256 of the plain key, by explicit key, and for certificates by serial or key ID
/// under the signing CA (or any CA), and by revocation of the CA key itself. Immutable and thread-safe.
/// </summary>
public sealed partial class KeyRevocationList
{
    private readonly Dictionary<byte[], CertificateSection> _byCa;
    private readonly CertificateSection? _anyCa;
    private readonly HashSet<byte[]> _keys;
    private readonly HashSet<byte[]> _sha1;
    private readonly HashSet<byte[]> _sha256;

    internal KeyRevocationList(ulong version, DateTimeOffset generatedAt, string comment, IEnumerable<CertificateSection> sections, IEnumerable<byte[]> keys, IEnumerable<byte[]> sha1, IEnumerable<byte[]> sha256)
    {
        Version = version;
        GeneratedAt = generatedAt;
        Comment = comment;
        _byCa = new Dictionary<byte[], CertificateSection>(ByteArrayComparer.Instance);
        foreach (CertificateSection section in sections)
        {
            if (section.CaKey.Length == 0)
            {
                _anyCa = section;
            }
            else
            {
                _byCa[section.CaKey] = section;
            }
        }

        _keys = new HashSet<byte[]>(keys, ByteArrayComparer.Instance);
        _sha1 = new HashSet<byte[]>(sha1, ByteArrayComparer.Instance);
        _sha256 = new HashSet<byte[]>(sha256, ByteArrayComparer.Instance);
    }

    /// <summary>The KRL version number, which increases each time the list changes.</summary>
    public ulong Version { get; }

    public DateTimeOffset GeneratedAt { get; }

    public string Comment { get; }

    /// <summary>The per-CA certificate sections; a section whose <see cref="CertificateSection.CaKey"/> is empty applies to every CA.</summary>
    internal IEnumerable<CertificateSection> CertificateSections => _anyCa is null ? _byCa.Values : _byCa.Values.Append(_anyCa);

    internal IReadOnlyCollection<byte[]> ExplicitKeys => _keys;

    internal IReadOnlyCollection<byte[]> Sha1Hashes => _sha1;

    internal IReadOnlyCollection<byte[]> Sha256Hashes => _sha256;

    /// <summary>True when the key, or for a certificate the certificate or its CA key, is revoked.</summary>
    public bool IsRevoked(SshPublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (IsKeyRevoked(key))
        {
            return true;
        }

        return key is SshCertificate certificate && IsKeyRevoked(certificate.SignatureKey);
    }

    private bool IsKeyRevoked(SshPublicKey key)
    {
        if (_sha1.Count > 0 && _sha1.GetAlternateLookup<ReadOnlySpan<byte>>().Contains(key.Sha1Hash.Span))
        {
            return true;
        }

        if (_sha256.Count > 0 && _sha256.GetAlternateLookup<ReadOnlySpan<byte>>().Contains(key.Sha256Hash.Span))
        {
            return true;
        }

        if (_keys.Count > 0 && _keys.GetAlternateLookup<ReadOnlySpan<byte>>().Contains(key.PlainBlob.Span))
        {
            return true;
        }

        if (key is not SshCertificate certificate)
        {
            return false;
        }

        if (_byCa.Count > 0 && _byCa.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(certificate.SignatureKey.Blob.Span, out CertificateSection? section)
            && section.Revokes(certificate))
        {
            return true;
        }

        return _anyCa is not null && _anyCa.Revokes(certificate);
    }
}

/// <summary>Revoked certificates of one CA (KRL_SECTION_CERTIFICATES): serials and key IDs.</summary>
internal sealed class CertificateSection(byte[] caKey, SerialSet serials, HashSet<string> keyIds)
{
    /// <summary>The CA key blob; empty for "any CA".</summary>
    public byte[] CaKey { get; } = caKey;

    public SerialSet Serials { get; } = serials;

    public HashSet<string> KeyIds { get; } = keyIds;

    /// <summary>As OpenSSH: key IDs always count; serial 0 (the default when a CA sets none) is never revoked by serial.</summary>
    public bool Revokes(SshCertificate certificate) =>
        (KeyIds.Count > 0 && KeyIds.Contains(certificate.KeyId)) || (certificate.Serial != 0 && Serials.Contains(certificate.Serial));
}
