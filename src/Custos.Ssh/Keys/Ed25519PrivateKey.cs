using Custos.Ssh.Wire;
using NSec.Cryptography;

namespace Custos.Ssh.Keys;

/// <summary>Ed25519 private key held by libsodium (NSec) in its own protected memory.</summary>
internal sealed class Ed25519PrivateKey : SshPrivateKey
{
    private readonly Key _key;

    private Ed25519PrivateKey(Key key)
        : base(Ed25519PublicKey.FromRaw(key.PublicKey.Export(KeyBlobFormat.RawPublicKey))) => _key = key;

    public static Ed25519PrivateKey Generate() => new(new Key(SignatureAlgorithm.Ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    /// <summary>Imports a 32-byte seed (RFC 8032 private key).</summary>
    public static Ed25519PrivateKey FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != 32)
        {
            throw new SshFormatException($"An Ed25519 private key seed is 32 bytes, not {seed.Length}.");
        }

        return new Ed25519PrivateKey(Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));
    }

    private protected override byte[] SignCore(ReadOnlySpan<byte> data, string algorithm)
    {
        Span<byte> signature = stackalloc byte[64];
        SignatureAlgorithm.Ed25519.Sign(_key, data, signature);
        return SignatureBlob(SshAlgorithmNames.Ed25519, signature);
    }

    /// <summary>PROTOCOL.key: <c>string "ssh-ed25519", string pk[32], string sk[64] (seed || pk)</c>.</summary>
    internal override void WritePrivateFields(SshWriter writer)
    {
        byte[] publicKey = _key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        byte[] secret = new byte[64];
        try
        {
            if (!_key.TryExport(KeyBlobFormat.RawPrivateKey, secret.AsSpan(0, 32), out int written) || written != 32)
            {
                throw new InvalidOperationException("The Ed25519 key could not be exported.");
            }

            publicKey.CopyTo(secret.AsSpan(32));
            writer.WriteUtf8String(SshAlgorithmNames.Ed25519);
            writer.WriteString(publicKey);
            writer.WriteString(secret);
        }
        finally
        {
            Zero(secret);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _key.Dispose();
        }

        base.Dispose(disposing);
    }
}
