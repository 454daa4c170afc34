using Custos.Ssh.Signatures;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Revocation;

/// <summary>Reading and writing the binary KRL format (PROTOCOL.krl §1–§5).</summary>
public sealed partial class KeyRevocationList
{
    internal const ulong Magic = 0x5353484b524c0a00UL; // "SSHKRL\n\0"
    internal const uint FormatVersion = 1;
    internal const byte SectionCertificates = 1;
    internal const byte SectionExplicitKey = 2;
    internal const byte SectionSha1 = 3;
    internal const byte SectionSignature = 4;
    internal const byte SectionSha256 = 5;
    internal const byte SectionExtension = 255;
    internal const byte CertSerialList = 0x20;
    internal const byte CertSerialRange = 0x21;
    internal const byte CertSerialBitmap = 0x22;
    internal const byte CertKeyId = 0x23;
    internal const byte CertExtension = 0x39;

    /// <summary>Parses a binary KRL; raises <see cref="SshFormatException"/> for anything malformed or unsupported.</summary>
    public static KeyRevocationList Parse(ReadOnlySpan<byte> data)
    {
        var reader = new SshReader(data);
        if (data.Length < 8 || reader.ReadUInt64() != Magic)
        {
            throw new SshFormatException("Not a binary KRL (bad magic); text revocation files must be converted with `ssh-keygen -k`.");
        }

        uint format = reader.ReadUInt32();
        if (format != FormatVersion)
        {
            throw new SshFormatException($"Unsupported KRL format version {format}.");
        }

        ulong version = reader.ReadUInt64();
        ulong generated = reader.ReadUInt64();
        reader.ReadUInt64(); // flags: none defined
        reader.ReadString(); // reserved
        string comment = reader.ReadUtf8String();

        var sections = new Dictionary<byte[], SectionBuilder>(ByteArrayComparer.Instance);
        var keys = new List<byte[]>();
        var sha1 = new List<byte[]>();
        var sha256 = new List<byte[]>();
        while (!reader.IsEmpty)
        {
            byte type = reader.ReadByte();
            var section = new SshReader(reader.ReadString());
            switch (type)
            {
                case SectionCertificates:
                    ReadCertificateSection(ref section, sections);
                    break;
                case SectionExplicitKey:
                    ReadBlobs(ref section, keys, 0);
                    break;
                case SectionSha1:
                    ReadBlobs(ref section, sha1, 20);
                    break;
                case SectionSha256:
                    ReadBlobs(ref section, sha256, 32);
                    break;
                case SectionExtension:
                    ReadExtension(ref section);
                    break;
                case SectionSignature:
                    throw new SshFormatException("The KRL contains a signature section; KRL signatures are not supported (OpenSSH ≥ 9.4 refuses them too).");
                default:
                    throw new SshFormatException($"Unsupported KRL section type {type}.");
            }
        }

        long seconds = generated > long.MaxValue / 2 ? 0 : (long)generated;
        DateTimeOffset generatedAt = seconds > 253402300799 ? DateTimeOffset.MaxValue : DateTimeOffset.FromUnixTimeSeconds(seconds);
        return new KeyRevocationList(version, generatedAt, comment, sections.Values.Select(s => s.Build()), keys, sha1, sha256);
    }

    private static void ReadCertificateSection(ref SshReader section, Dictionary<byte[], SectionBuilder> sections)
    {
        byte[] caKey = section.ReadString().ToArray();
        if (caKey.Length > 0)
        {
            var caReader = new SshReader(caKey);
            SshSignature.ReadName(ref caReader, "KRL CA key type");
        }

        section.ReadString(); // reserved
        if (!sections.TryGetValue(caKey, out SectionBuilder? target))
        {
            target = new SectionBuilder(caKey);
            sections[caKey] = target;
        }

        while (!section.IsEmpty)
        {
            byte type = section.ReadByte();
            var sub = new SshReader(section.ReadString());
            switch (type)
            {
                case CertSerialList:
                    while (!sub.IsEmpty)
                    {
                        target.AddRange(sub.ReadUInt64(), null);
                    }

                    break;
                case CertSerialRange:
                    ulong first = sub.ReadUInt64();
                    target.AddRange(first, sub.ReadUInt64());
                    break;
                case CertSerialBitmap:
                    target.Bitmaps.Add(SerialBitmap.Read(ref sub));
                    break;
                case CertKeyId:
                    while (!sub.IsEmpty)
                    {
                        target.KeyIds.Add(sub.ReadUtf8String());
                    }

                    break;
                case CertExtension:
                    ReadExtension(ref sub);
                    break;
                default:
                    throw new SshFormatException($"Unsupported KRL certificate subsection type 0x{type:x2}.");
            }

            sub.EnsureEnd("KRL certificate subsection");
        }
    }

    private static void ReadBlobs(ref SshReader section, List<byte[]> target, int expectedLength)
    {
        while (!section.IsEmpty)
        {
            ReadOnlySpan<byte> blob = section.ReadString();
            if (expectedLength != 0 && blob.Length != expectedLength)
            {
                throw new SshFormatException($"A KRL key hash is {blob.Length} bytes; {expectedLength} were expected.");
            }

            if (expectedLength == 0 && blob.IsEmpty)
            {
                throw new SshFormatException("A KRL explicit key is empty.");
            }

            target.Add(blob.ToArray());
        }
    }

    /// <summary>PROTOCOL.krl §5: unknown critical extensions make the KRL unusable; others are ignored.</summary>
    private static void ReadExtension(ref SshReader section)
    {
        string name = section.ReadUtf8String();
        bool critical = section.ReadBoolean();
        section.ReadString();
        section.EnsureEnd("KRL extension");
        if (critical)
        {
            throw new SshFormatException($"The KRL contains unsupported critical extension '{Keys.SshPublicKey.Truncate(name)}'.");
        }
    }

    /// <summary>The binary KRL, as sshd's <c>RevokedKeys</c> and <c>ssh-keygen -Q</c> read it.</summary>
    public byte[] Encode()
    {
        var writer = new SshWriter(1024);
        writer.WriteUInt64(Magic);
        writer.WriteUInt32(FormatVersion);
        writer.WriteUInt64(Version);
        writer.WriteUInt64(GeneratedAt <= DateTimeOffset.UnixEpoch ? 0 : (ulong)GeneratedAt.ToUnixTimeSeconds());
        writer.WriteUInt64(0);
        writer.WriteString([]);
        writer.WriteUtf8String(Comment);
        foreach (CertificateSection section in CertificateSections.OrderBy(s => s.CaKey, Comparer<byte[]>.Create(ByteArrayComparer.Compare)))
        {
            writer.WriteByte(SectionCertificates);
            int start = writer.BeginString();
            writer.WriteString(section.CaKey);
            writer.WriteString([]);
            SerialEncoding.Write(writer, section.Serials);
            if (section.KeyIds.Count > 0)
            {
                writer.WriteByte(CertKeyId);
                int ids = writer.BeginString();
                foreach (string keyId in section.KeyIds.Order(StringComparer.Ordinal))
                {
                    writer.WriteUtf8String(keyId);
                }

                writer.EndString(ids);
            }

            writer.EndString(start);
        }

        WriteBlobSection(writer, SectionExplicitKey, _keys);
        WriteBlobSection(writer, SectionSha1, _sha1);
        WriteBlobSection(writer, SectionSha256, _sha256);
        return writer.ToArray();
    }

    private static void WriteBlobSection(SshWriter writer, byte type, HashSet<byte[]> blobs)
    {
        if (blobs.Count == 0)
        {
            return;
        }

        writer.WriteByte(type);
        int start = writer.BeginString();
        foreach (byte[] blob in blobs.Order(Comparer<byte[]>.Create(ByteArrayComparer.Compare)))
        {
            writer.WriteString(blob);
        }

        writer.EndString(start);
    }

    /// <summary>Accumulates one CA's revocations while parsing or building.</summary>
    internal sealed class SectionBuilder(byte[] caKey)
    {
        public byte[] CaKey { get; } = caKey;

        public List<(ulong First, ulong Last)> Ranges { get; } = [];

        public List<SerialBitmap> Bitmaps { get; } = [];

        public HashSet<string> KeyIds { get; } = new(StringComparer.Ordinal);

        /// <summary>As OpenSSH's ssh_krl_revoke_cert_by_serial_range: serial 0 and reversed ranges are invalid.</summary>
        public void AddRange(ulong first, ulong? last)
        {
            ulong end = last ?? first;
            if (first == 0 || first > end)
            {
                throw new SshFormatException(first == 0 ? "KRL serial 0 cannot be revoked." : $"KRL serial range {first}-{end} is reversed.");
            }

            Ranges.Add((first, end));
        }

        public CertificateSection Build() => new(CaKey, new SerialSet(Ranges, Bitmaps), new HashSet<string>(KeyIds, StringComparer.Ordinal));
    }
}
