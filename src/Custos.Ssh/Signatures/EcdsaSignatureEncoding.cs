using Custos.Ssh.Wire;

namespace Custos.Ssh.Signatures;

/// <summary>
/// Converts between the fixed-width r||s form the BCL produces (IEEE P1363) and the SSH form
/// <c>mpint r, mpint s</c> (RFC 5656 §3.1.2).
/// </summary>
internal static class EcdsaSignatureEncoding
{
    public static byte[] ToSsh(ReadOnlySpan<byte> fixedWidth)
    {
        int half = fixedWidth.Length / 2;
        var writer = new SshWriter(fixedWidth.Length + 12);
        writer.WriteMpint(fixedWidth[..half]);
        writer.WriteMpint(fixedWidth[half..]);
        return writer.ToArray();
    }

    /// <summary>Decodes <c>mpint r, mpint s</c> into <paramref name="destination"/> (2 × field size); false if malformed.</summary>
    public static bool TryToFixedWidth(ReadOnlySpan<byte> ssh, Span<byte> destination)
    {
        int half = destination.Length / 2;
        try
        {
            var reader = new SshReader(ssh);
            ReadOnlySpan<byte> r = reader.ReadMpint();
            ReadOnlySpan<byte> s = reader.ReadMpint();
            if (!reader.IsEmpty || r.IsEmpty || s.IsEmpty || r.Length > half || s.Length > half)
            {
                return false;
            }

            destination.Clear();
            r.CopyTo(destination[(half - r.Length)..half]);
            s.CopyTo(destination[(destination.Length - s.Length)..]);
            return true;
        }
        catch (SshFormatException)
        {
            return false;
        }
    }
}
