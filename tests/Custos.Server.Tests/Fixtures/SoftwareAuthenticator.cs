using System.Buffers.Binary;
using System.Buffers.Text;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Custos.Server.Tests.Fixtures;

/// <summary>
/// A FIDO2 authenticator in software, as a browser plus security key would answer navigator.credentials.create()
/// and get(): one ES256 (ECDSA P-256, COSE alg -7) credential, attestation "none", a signature counter. It builds
/// the W3C WebAuthn structures byte by byte (client data JSON, authenticator data, CBOR attestation object, COSE
/// key) so the server's verification is tested against an independent encoder. Knobs let tests misbehave on purpose.
/// </summary>
public sealed class SoftwareAuthenticator : IDisposable
{
    private const byte UserPresent = 0x01;
    private const byte UserVerified = 0x04;
    private const byte AttestedCredentialData = 0x40;

    private ECDsa _key;

    public SoftwareAuthenticator()
    {
        _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        CredentialId = RandomNumberGenerator.GetBytes(32);
    }

    public Guid Aaguid { get; } = Guid.Parse("6a0c5e7d-3b1e-4f3a-9c1e-0c5d7f2a9b11");

    public byte[] CredentialId { get; }

    public string CredentialIdBase64Url => Base64Url.EncodeToString(CredentialId);

    /// <summary>The signature counter; each assertion increments it first. Tests set it back to play a cloned authenticator.</summary>
    public uint Counter { get; set; }

    /// <summary>Replaces the private key (same credential id): what an attacker without the real key would sign with.</summary>
    public void ReplaceKey()
    {
        _key.Dispose();
        _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    }

    /// <summary>The PublicKeyCredential JSON (toJSON form) for credential creation options.</summary>
    public JsonObject MakeCredential(JsonNode options, string origin, string? rpIdOverride = null)
    {
        var rpId = rpIdOverride ?? options["rp"]?["id"]?.GetValue<string>() ?? throw new InvalidOperationException("options without rp.id");
        var clientData = ClientData("webauthn.create", options["challenge"]!.GetValue<string>(), origin);
        var authData = AuthenticatorData(rpId, UserPresent | UserVerified | AttestedCredentialData, Counter, AttestedCredential());
        var attestation = new CborWriter(CborConformanceMode.Ctap2Canonical);
        attestation.WriteStartMap(3);
        attestation.WriteTextString("fmt");
        attestation.WriteTextString("none");
        attestation.WriteTextString("attStmt");
        attestation.WriteStartMap(0);
        attestation.WriteEndMap();
        attestation.WriteTextString("authData");
        attestation.WriteByteString(authData);
        attestation.WriteEndMap();
        return Credential(new JsonObject
        {
            ["attestationObject"] = Base64Url.EncodeToString(attestation.Encode()),
            ["clientDataJSON"] = Base64Url.EncodeToString(clientData),
            ["transports"] = new JsonArray("usb"),
        });
    }

    /// <summary>The PublicKeyCredential JSON for assertion options: counter + 1, signed over authData ‖ SHA-256(clientDataJSON).</summary>
    public JsonObject GetAssertion(JsonNode options, string origin, string? rpIdOverride = null)
    {
        var rpId = rpIdOverride ?? options["rpId"]?.GetValue<string>() ?? throw new InvalidOperationException("options without rpId");
        var clientData = ClientData("webauthn.get", options["challenge"]!.GetValue<string>(), origin);
        Counter++;
        var authData = AuthenticatorData(rpId, UserPresent | UserVerified, Counter, []);
        var signed = new byte[authData.Length + 32];
        authData.CopyTo(signed, 0);
        SHA256.HashData(clientData, signed.AsSpan(authData.Length));
        var signature = _key.SignData(signed, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return Credential(new JsonObject
        {
            ["authenticatorData"] = Base64Url.EncodeToString(authData),
            ["clientDataJSON"] = Base64Url.EncodeToString(clientData),
            ["signature"] = Base64Url.EncodeToString(signature),
            ["userHandle"] = null,
        });
    }

    private JsonObject Credential(JsonObject response) => new()
    {
        ["id"] = CredentialIdBase64Url,
        ["rawId"] = CredentialIdBase64Url,
        ["type"] = "public-key",
        ["response"] = response,
        ["clientExtensionResults"] = new JsonObject(),
    };

    private static byte[] ClientData(string type, string challenge, string origin) =>
        JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["type"] = type, ["challenge"] = challenge, ["origin"] = origin, ["crossOrigin"] = false });

    /// <summary>WebAuthn §6.1: rpIdHash (32) ‖ flags (1) ‖ signCount (4, big-endian) ‖ attested credential data.</summary>
    private static byte[] AuthenticatorData(string rpId, int flags, uint counter, byte[] attested)
    {
        var data = new byte[37 + attested.Length];
        SHA256.HashData(Encoding.UTF8.GetBytes(rpId), data);
        data[32] = (byte)flags;
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(33), counter);
        attested.CopyTo(data, 37);
        return data;
    }

    /// <summary>WebAuthn §6.5.1: AAGUID (16, big-endian) ‖ credentialIdLength (2) ‖ credentialId ‖ COSE_Key.</summary>
    private byte[] AttestedCredential()
    {
        var coseKey = CoseKey();
        var data = new byte[16 + 2 + CredentialId.Length + coseKey.Length];
        Aaguid.TryWriteBytes(data, bigEndian: true, out _);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(16), (ushort)CredentialId.Length);
        CredentialId.CopyTo(data, 18);
        coseKey.CopyTo(data, 18 + CredentialId.Length);
        return data;
    }

    /// <summary>RFC 9053 §7.1.1 EC2 key: {1: 2 (kty EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}.</summary>
    private byte[] CoseKey()
    {
        var p = _key.ExportParameters(includePrivateParameters: false);
        var writer = new CborWriter(CborConformanceMode.Ctap2Canonical);
        writer.WriteStartMap(5);
        writer.WriteInt32(1);
        writer.WriteInt32(2);
        writer.WriteInt32(3);
        writer.WriteInt32(-7);
        writer.WriteInt32(-1);
        writer.WriteInt32(1);
        writer.WriteInt32(-2);
        writer.WriteByteString(p.Q.X!);
        writer.WriteInt32(-3);
        writer.WriteByteString(p.Q.Y!);
        writer.WriteEndMap();
        return writer.Encode();
    }

    public void Dispose() => _key.Dispose();
}
