using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace Custos.Core.Audit;

/// <summary>
/// The Ed25519 key that signs audit checkpoints. The private half is stored sealed (envelope encryption) in the
/// database; the public half is stored in the clear and may be held elsewhere to verify with <c>--trusted-key</c>.
/// Public keys are written as <c>ed25519:BASE64</c> (the 32 raw bytes).
/// </summary>
public sealed class AuditSigningKey : IDisposable
{
    private static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;
    private readonly Key _key;

    private AuditSigningKey(Key key)
    {
        _key = key;
        PublicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        KeyId = ComputeKeyId(PublicKey);
    }

    public byte[] PublicKey { get; }

    /// <summary>First 8 bytes of SHA-256 of the raw public key, hex; names the key in checkpoints.</summary>
    public string KeyId { get; }

    public static AuditSigningKey Generate() =>
        new(Key.Create(Algorithm, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    /// <summary>Imports a raw 32-byte Ed25519 private key (seed).</summary>
    public static AuditSigningKey Import(ReadOnlySpan<byte> privateKey) =>
        new(Key.Import(Algorithm, privateKey, KeyBlobFormat.RawPrivateKey,
            new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    /// <summary>Exports the raw private key so it can be sealed. The caller zeroes the returned array.</summary>
    public byte[] ExportPrivateKey() => _key.Export(KeyBlobFormat.RawPrivateKey);

    public AuditCheckpoint SignCheckpoint(long seq, byte[] headHash, DateTimeOffset time)
    {
        var signature = Algorithm.Sign(_key, CheckpointText(seq, headHash, time));
        return new AuditCheckpoint(seq, time, headHash, signature, KeyId);
    }

    public static string ComputeKeyId(ReadOnlySpan<byte> publicKey) =>
        Convert.ToHexStringLower(SHA256.HashData(publicKey)[..8]);

    /// <summary>The exact bytes a checkpoint signature covers (docs/audit.md).</summary>
    public static byte[] CheckpointText(long seq, ReadOnlySpan<byte> headHash, DateTimeOffset time) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"custos-audit-checkpoint\n{seq}\n{Convert.ToHexStringLower(headHash)}\n{AuditChain.FormatTime(time)}\n"));

    public static bool Verify(ReadOnlySpan<byte> publicKey, AuditCheckpoint checkpoint)
    {
        if (publicKey.Length != 32 || checkpoint.Signature.Length != 64) return false;
        if (!NSec.Cryptography.PublicKey.TryImport(Algorithm, publicKey, KeyBlobFormat.RawPublicKey, out var key) || key is null)
            return false;
        return Algorithm.Verify(key, CheckpointText(checkpoint.Seq, checkpoint.HeadHash, checkpoint.Time), checkpoint.Signature);
    }

    public static string FormatPublicKey(ReadOnlySpan<byte> publicKey) => "ed25519:" + Convert.ToBase64String(publicKey);

    public static bool TryParsePublicKey(string text, out byte[] publicKey)
    {
        publicKey = [];
        const string prefix = "ed25519:";
        if (!text.StartsWith(prefix, StringComparison.Ordinal)) return false;
        try
        {
            publicKey = Convert.FromBase64String(text[prefix.Length..]);
        }
        catch (FormatException)
        {
            return false;
        }
        return publicKey.Length == 32;
    }

    public void Dispose() => _key.Dispose();
}
