using Custos.Ssh.Certificates;
using Custos.Ssh.Keys;

namespace Custos.Ssh.Revocation;

/// <summary>
/// Builds a KRL: certificates by serial, serial range or key ID under a CA (or any CA when the CA is
/// null), plain keys explicitly or by SHA-1/SHA-256 hash. Start from an existing list to add to it.
/// </summary>
public sealed class KeyRevocationListBuilder
{
    private readonly Dictionary<byte[], KeyRevocationList.SectionBuilder> _sections = new(ByteArrayComparer.Instance);
    private readonly HashSet<byte[]> _keys = new(ByteArrayComparer.Instance);
    private readonly HashSet<byte[]> _sha1 = new(ByteArrayComparer.Instance);
    private readonly HashSet<byte[]> _sha256 = new(ByteArrayComparer.Instance);

    public KeyRevocationListBuilder()
    {
    }

    /// <summary>Starts from the contents of an existing list, with its version incremented.</summary>
    public KeyRevocationListBuilder(KeyRevocationList existing)
    {
        ArgumentNullException.ThrowIfNull(existing);
        Version = existing.Version + 1;
        Comment = existing.Comment;
        foreach (CertificateSection section in existing.CertificateSections)
        {
            KeyRevocationList.SectionBuilder target = Section(section.CaKey);
            target.Ranges.AddRange(section.Serials.Ranges);
            target.Bitmaps.AddRange(section.Serials.Bitmaps);
            target.KeyIds.UnionWith(section.KeyIds);
        }

        _keys.UnionWith(existing.ExplicitKeys);
        _sha1.UnionWith(existing.Sha1Hashes);
        _sha256.UnionWith(existing.Sha256Hashes);
    }

    public ulong Version { get; set; }

    public string Comment { get; set; } = string.Empty;

    /// <summary>Revokes the certificate with this serial issued by <paramref name="certificateAuthority"/> (null: by any CA).</summary>
    public KeyRevocationListBuilder RevokeSerial(SshPublicKey? certificateAuthority, ulong serial) => RevokeSerials(certificateAuthority, serial, serial);

    /// <summary>Revokes serials <paramref name="first"/> to <paramref name="last"/> inclusive. Serial 0 cannot be revoked.</summary>
    public KeyRevocationListBuilder RevokeSerials(SshPublicKey? certificateAuthority, ulong first, ulong last)
    {
        if (first == 0 || first > last)
        {
            throw new ArgumentOutOfRangeException(nameof(first), "Serials start at 1 and a range must not be reversed (OpenSSH never revokes serial 0).");
        }

        Section(CaBlob(certificateAuthority)).Ranges.Add((first, last));
        return this;
    }

    /// <summary>Revokes every certificate with this key ID issued by <paramref name="certificateAuthority"/> (null: by any CA).</summary>
    public KeyRevocationListBuilder RevokeKeyId(SshPublicKey? certificateAuthority, string keyId)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        Section(CaBlob(certificateAuthority)).KeyIds.Add(keyId);
        return this;
    }

    /// <summary>
    /// Revokes a plain key explicitly (every certificate for it too), or a certificate by its serial
    /// (by key ID when its serial is 0), as <c>ssh-keygen -k</c> does for a key file.
    /// </summary>
    public KeyRevocationListBuilder RevokeKey(SshPublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key is SshCertificate certificate)
        {
            return certificate.Serial == 0
                ? RevokeKeyId(certificate.SignatureKey, certificate.KeyId)
                : RevokeSerial(certificate.SignatureKey, certificate.Serial);
        }

        _keys.Add(key.Blob.ToArray());
        return this;
    }

    /// <summary>Revokes a plain key (and its certificates) by the SHA-256 hash of its blob.</summary>
    public KeyRevocationListBuilder RevokeKeySha256(SshPublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        _sha256.Add(key.Sha256Hash.ToArray());
        return this;
    }

    /// <summary>Revokes a plain key (and its certificates) by the SHA-1 hash of its blob (legacy; prefer SHA-256).</summary>
    public KeyRevocationListBuilder RevokeKeySha1(SshPublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        _sha1.Add(key.Sha1Hash.ToArray());
        return this;
    }

    /// <summary>Revokes a key by a SHA-256 hash known without the key (e.g. from <c>ssh-keygen -l</c>).</summary>
    public KeyRevocationListBuilder RevokeKeySha256(ReadOnlySpan<byte> sha256)
    {
        if (sha256.Length != 32)
        {
            throw new ArgumentException("A SHA-256 hash is 32 bytes.", nameof(sha256));
        }

        _sha256.Add(sha256.ToArray());
        return this;
    }

    /// <summary>Builds the list, stamped with the time from <paramref name="timeProvider"/>.</summary>
    public KeyRevocationList Build(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        DateTimeOffset now = timeProvider.GetUtcNow();
        return new KeyRevocationList(Version, DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds()), Comment,
            _sections.Values.Select(s => s.Build()), _keys, _sha1, _sha256);
    }

    private KeyRevocationList.SectionBuilder Section(byte[] caKey)
    {
        if (!_sections.TryGetValue(caKey, out KeyRevocationList.SectionBuilder? section))
        {
            section = new KeyRevocationList.SectionBuilder(caKey);
            _sections[caKey] = section;
        }

        return section;
    }

    private static byte[] CaBlob(SshPublicKey? certificateAuthority) => certificateAuthority switch
    {
        null => [],
        SshCertificate => throw new ArgumentException("A CA key must be a plain key, not a certificate.", nameof(certificateAuthority)),
        _ => certificateAuthority.Blob.ToArray(),
    };
}
