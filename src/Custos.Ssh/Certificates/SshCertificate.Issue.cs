using System.Text;
using Custos.Ssh.Keys;
using Custos.Ssh.Signatures;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Certificates;

public sealed partial class SshCertificate
{
    /// <summary>
    /// Builds and signs a certificate. <paramref name="signatureAlgorithm"/> chooses the CA signature for
    /// RSA CAs (<c>rsa-sha2-512</c> by default). The certified key must be a plain key.
    /// </summary>
    public static SshCertificate Issue(SshCertificateFields fields, SshPrivateKey certificateAuthority, string? signatureAlgorithm = null)
    {
        ArgumentNullException.ThrowIfNull(fields);
        ArgumentNullException.ThrowIfNull(certificateAuthority);
        if (fields.Key is SshCertificate)
        {
            throw new ArgumentException("The key to certify must be a plain key, not a certificate.", nameof(fields));
        }

        SshCertificateOption[] critical = SortedUnique(fields.CriticalOptions, "critical option");
        SshCertificateOption[] extensions = SortedUnique(fields.Extensions, "extension");
        string[] principals = DistinctPrincipals(fields.Principals);
        ulong validAfter = ToSeconds(fields.ValidAfter);
        ulong validBefore = fields.ValidBefore is { } before ? ToSeconds(before) : Forever;
        if (validBefore <= validAfter)
        {
            throw new ArgumentException("ValidBefore must be later than ValidAfter.", nameof(fields));
        }

        byte[] nonce = fields.Nonce is { } given ? given.ToArray() : NonceSource.Next();
        string type = SshAlgorithmNames.CertificateFor(fields.Key.Algorithm);
        ReadOnlySpan<byte> keyBlob = fields.Key.Blob.Span;
        ReadOnlySpan<byte> keyFields = keyBlob[(4 + fields.Key.Algorithm.Length)..];
        ReadOnlySpan<byte> caBlob = certificateAuthority.PublicKey.Blob.Span;

        var writer = new SshWriter(512 + keyFields.Length + caBlob.Length);
        writer.WriteUtf8String(type);
        writer.WriteString(nonce);
        writer.WriteRaw(keyFields);
        writer.WriteUInt64(fields.Serial);
        writer.WriteUInt32((uint)fields.Type);
        writer.WriteUtf8String(fields.KeyId);
        int start = writer.BeginString();
        foreach (string principal in principals)
        {
            writer.WriteUtf8String(principal);
        }

        writer.EndString(start);
        writer.WriteUInt64(validAfter);
        writer.WriteUInt64(validBefore);
        WriteOptions(writer, critical);
        WriteOptions(writer, extensions);
        writer.WriteString([]);
        writer.WriteString(caBlob);
        int signedLength = writer.Length;
        string algorithm = signatureAlgorithm ?? certificateAuthority.DefaultSignatureAlgorithm;
        byte[] signature = certificateAuthority.Sign(writer.WrittenSpan, algorithm);
        writer.WriteString(signature);

        return new SshCertificate(type, writer.ToArray(), signedLength, fields.Key)
        {
            Nonce = nonce,
            Serial = fields.Serial,
            Type = fields.Type,
            KeyId = fields.KeyId,
            Principals = principals,
            ValidAfter = validAfter,
            ValidBefore = validBefore,
            CriticalOptions = critical,
            Extensions = extensions,
            SignatureKey = certificateAuthority.PublicKey,
            Signature = new SshSignature(algorithm, signature.AsMemory(8 + algorithm.Length)),
        };
    }

    /// <summary>Seconds since the Unix epoch, as certificates store time (0 for anything earlier).</summary>
    public static ulong ToSeconds(DateTimeOffset time) => time <= DateTimeOffset.UnixEpoch ? 0 : (ulong)time.ToUnixTimeSeconds();

    private static void WriteOptions(SshWriter writer, SshCertificateOption[] options)
    {
        int start = writer.BeginString();
        foreach (SshCertificateOption option in options)
        {
            writer.WriteUtf8String(option.Name);
            if (option.Value.Length == 0)
            {
                writer.WriteString([]);
            }
            else
            {
                int inner = writer.BeginString();
                writer.WriteUtf8String(option.Value);
                writer.EndString(inner);
            }
        }

        writer.EndString(start);
    }

    /// <summary>
    /// Orders names as their UTF-8 bytes compare. UTF-16 ordinal order is the same except around surrogate
    /// pairs, so names are encoded only when a surrogate is present (keeps issuance allocation-light).
    /// </summary>
    private static int CompareUtf8(string a, string b) =>
        HasSurrogate(a) || HasSurrogate(b)
            ? Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b))
            : string.CompareOrdinal(a, b);

    private static bool HasSurrogate(string value) => value.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0;

    /// <summary>Sorts options by the bytes of their UTF-8 names (as OpenSSH's strcmp does) and refuses duplicates.</summary>
    private static SshCertificateOption[] SortedUnique(IReadOnlyList<SshCertificateOption> options, string what)
    {
        if (options.Count == 0)
        {
            return [];
        }

        SshCertificateOption[] sorted = [.. options];
        if (Array.Exists(sorted, o => o is null || string.IsNullOrEmpty(o.Name) || o.Value is null))
        {
            throw new ArgumentException($"Every {what} needs a non-empty name and a non-null value.", nameof(options));
        }

        if (!IsSorted(sorted))
        {
            Array.Sort(sorted, static (a, b) => CompareUtf8(a.Name, b.Name));
        }
        for (int i = 1; i < sorted.Length; i++)
        {
            if (CompareUtf8(sorted[i].Name, sorted[i - 1].Name) == 0)
            {
                throw new ArgumentException($"The {what} '{sorted[i].Name}' appears twice.", nameof(options));
            }
        }

        return sorted;
    }

    private static bool IsSorted(SshCertificateOption[] options)
    {
        for (int i = 1; i < options.Length; i++)
        {
            if (CompareUtf8(options[i - 1].Name, options[i].Name) > 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The principals in order with repeats dropped (a loop: lists are short and this is the issuance hot path).</summary>
    private static string[] DistinctPrincipals(IReadOnlyList<string> principals)
    {
        var distinct = new List<string>(principals.Count);
        foreach (string principal in principals)
        {
            ArgumentNullException.ThrowIfNull(principal, nameof(principals));
            if (!distinct.Contains(principal, StringComparer.Ordinal))
            {
                distinct.Add(principal);
            }
        }

        return [.. distinct];
    }
}
