using NSec.Cryptography;

namespace Custos.Ssh.Transport.KeyExchange;

/// <summary>Ephemeral X25519 through libsodium (NSec). RFC 8731 §3: an all-zero result is refused.</summary>
internal sealed class X25519Ephemeral : IDisposable
{
    private readonly Key _key;

    public X25519Ephemeral() => _key = Key.Create(KeyAgreementAlgorithm.X25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.None });

    /// <summary>A fixed private key, for known-answer tests only.</summary>
    internal X25519Ephemeral(ReadOnlySpan<byte> privateKey) =>
        _key = Key.Import(KeyAgreementAlgorithm.X25519, privateKey, KeyBlobFormat.RawPrivateKey, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.None });

    public const int PublicKeyLength = 32;

    public byte[] PublicKey => _key.PublicKey.Export(KeyBlobFormat.RawPublicKey);

    public byte[] Agree(ReadOnlySpan<byte> peerPublic)
    {
        if (peerPublic.Length != PublicKeyLength
            || !NSec.Cryptography.PublicKey.TryImport(KeyAgreementAlgorithm.X25519, peerPublic, KeyBlobFormat.RawPublicKey, out var peer)
            || peer is null)
        {
            throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, "Invalid X25519 public key");
        }
        using var secret = KeyAgreementAlgorithm.X25519.Agree(_key, peer, new SharedSecretCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport })
            ?? throw new SshProtocolException(DisconnectReason.KeyExchangeFailed, "X25519 produced an all-zero shared secret");
        return secret.Export(SharedSecretBlobFormat.RawSharedSecret);
    }

    public void Dispose() => _key.Dispose();
}

/// <summary>curve25519-sha256 and its @libssh.org alias (RFC 8731).</summary>
internal sealed class Curve25519KeyExchange(string name, X25519Ephemeral ephemeral) : KeyExchangeMethod
{
    private readonly X25519Ephemeral _ephemeral = ephemeral;

    public Curve25519KeyExchange(string name)
        : this(name, new X25519Ephemeral())
    {
    }

    public override string Name => name;
    public override System.Security.Cryptography.HashAlgorithmName HashAlgorithm => System.Security.Cryptography.HashAlgorithmName.SHA256;

    public override byte[] CreateClientPublic() => _ephemeral.PublicKey;

    public override (byte[] ServerPublic, byte[] EncodedSecret) RespondToClient(ReadOnlySpan<byte> clientPublic) =>
        (_ephemeral.PublicKey, EncodeMpint(_ephemeral.Agree(clientPublic)));

    public override byte[] CompleteWithServer(ReadOnlySpan<byte> serverPublic) => EncodeMpint(_ephemeral.Agree(serverPublic));

    public override void Dispose()
    {
        _ephemeral.Dispose();
        base.Dispose();
    }
}
