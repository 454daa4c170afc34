using System.Text;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Signatures;

/// <summary>
/// An SSH signature blob (RFC 4253 §6.6): <c>string algorithm, string signature</c>, followed for FIDO
/// security-key algorithms by <c>byte flags, uint32 counter</c> (PROTOCOL.u2f).
/// </summary>
public sealed record SshSignature(string Algorithm, ReadOnlyMemory<byte> Signature, byte SecurityKeyFlags = 0, uint SecurityKeyCounter = 0)
{
    /// <summary>FIDO flag: the user touched the authenticator (user presence).</summary>
    public const byte UserPresentFlag = 0x01;

    /// <summary>FIDO flag: the authenticator verified the user (PIN or biometrics).</summary>
    public const byte UserVerifiedFlag = 0x04;

    /// <summary>True for the FIDO security-key algorithms, whose blobs carry flags and a counter.</summary>
    public bool IsSecurityKey => IsSecurityKeyAlgorithm(Algorithm);

    public bool UserPresent => (SecurityKeyFlags & UserPresentFlag) != 0;

    public bool UserVerified => (SecurityKeyFlags & UserVerifiedFlag) != 0;

    /// <summary>Parses a signature blob; raises <see cref="SshFormatException"/> on any malformed input.</summary>
    public static SshSignature Parse(ReadOnlySpan<byte> blob)
    {
        var reader = new SshReader(blob);
        string algorithm = ReadName(ref reader, "signature algorithm");
        byte[] signature = reader.ReadString().ToArray();
        byte flags = 0;
        uint counter = 0;
        if (IsSecurityKeyAlgorithm(algorithm))
        {
            flags = reader.ReadByte();
            counter = reader.ReadUInt32();
        }

        reader.EnsureEnd("signature");
        return new SshSignature(algorithm, signature, flags, counter);
    }

    /// <summary>The signature blob in wire form.</summary>
    public byte[] Encode()
    {
        var writer = new SshWriter(Signature.Length + Algorithm.Length + 16);
        writer.WriteUtf8String(Algorithm);
        writer.WriteString(Signature.Span);
        if (IsSecurityKey)
        {
            writer.WriteByte(SecurityKeyFlags);
            writer.WriteUInt32(SecurityKeyCounter);
        }

        return writer.ToArray();
    }

    internal static bool IsSecurityKeyAlgorithm(string algorithm) => algorithm.StartsWith("sk-", StringComparison.Ordinal);

    /// <summary>Reads an algorithm or type name: printable US-ASCII only, at most 128 bytes.</summary>
    internal static string ReadName(ref SshReader reader, string what)
    {
        ReadOnlySpan<byte> raw = reader.ReadString();
        if (raw.IsEmpty || raw.Length > 128)
        {
            throw new SshFormatException($"The {what} name is empty or longer than 128 bytes.");
        }

        foreach (byte b in raw)
        {
            if (b <= 0x20 || b >= 0x7f)
            {
                throw new SshFormatException($"The {what} name contains a non-printable or non-ASCII byte.");
            }
        }

        return Encoding.ASCII.GetString(raw);
    }
}
