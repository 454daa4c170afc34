using System.Formats.Asn1;
using System.Security.Cryptography;

namespace Custos.Ssh.Keys;

/// <summary>
/// PEM private keys: PKCS#8 <c>PRIVATE KEY</c> (RSA, EC, Ed25519), PKCS#1 <c>RSA PRIVATE KEY</c> and SEC1
/// <c>EC PRIVATE KEY</c>. Encrypted PKCS#8 and legacy <c>Proc-Type: 4,ENCRYPTED</c> files are refused.
/// </summary>
internal static class PemPrivateKeyFile
{
    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcOid = "1.2.840.10045.2.1";
    private const string Ed25519Oid = "1.3.101.112";

    public static SshPrivateKey Read(string text)
    {
        if (text.Contains("Proc-Type: 4,ENCRYPTED", StringComparison.Ordinal) || text.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal))
        {
            throw new SshFormatException("The private key is protected by a passphrase; encrypted keys are not supported. Remove the passphrase (e.g. `ssh-keygen -p -N '' -f FILE`) or supply an unencrypted key.");
        }

        if (!PemEncoding.TryFind(text, out PemFields fields))
        {
            throw new SshFormatException("Not a recognised private key file: expected an OpenSSH, PKCS#8, PKCS#1 or SEC1 PEM private key.");
        }

        string label = text[fields.Label];
        byte[] der = new byte[fields.DecodedDataLength];
        try
        {
            if (!Convert.TryFromBase64String(text[fields.Base64Data], der, out int length) || length != der.Length)
            {
                throw new SshFormatException("The PEM body is not valid base64.");
            }

            return label switch
            {
                "PRIVATE KEY" => ReadPkcs8(der),
                "RSA PRIVATE KEY" => ImportRsa(rsa => rsa.ImportRSAPrivateKey(der, out _)),
                "EC PRIVATE KEY" => ImportEcdsa(ecdsa => ecdsa.ImportECPrivateKey(der, out _)),
                _ => throw new SshFormatException($"Unsupported PEM type '{SshPublicKey.Truncate(label)}': expected PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY."),
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
    }

    private static SshPrivateKey ReadPkcs8(byte[] der)
    {
        string oid;
        try
        {
            // RFC 5208 §5: PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier, OCTET STRING, ... }
            var info = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
            info.ReadInteger();
            oid = info.ReadSequence().ReadObjectIdentifier();
        }
        catch (AsnContentException ex)
        {
            throw new SshFormatException("The PKCS#8 structure is malformed.", ex);
        }

        return oid switch
        {
            RsaOid => ImportRsa(rsa => rsa.ImportPkcs8PrivateKey(der, out _)),
            EcOid => ImportEcdsa(ecdsa => ecdsa.ImportPkcs8PrivateKey(der, out _)),
            Ed25519Oid => ImportEd25519(der),
            _ => throw new SshFormatException($"PKCS#8 key algorithm {oid} is not supported (RSA, EC and Ed25519 are)."),
        };
    }

    private static RsaPrivateKey ImportRsa(Action<RSA> import)
    {
        RSA rsa = RSA.Create();
        try
        {
            import(rsa);
        }
        catch (CryptographicException ex)
        {
            rsa.Dispose();
            throw new SshFormatException("The RSA private key is malformed.", ex);
        }

        return RsaPrivateKey.FromRsa(rsa);
    }

    private static EcdsaPrivateKey ImportEcdsa(Action<ECDsa> import)
    {
        ECDsa ecdsa = ECDsa.Create();
        try
        {
            import(ecdsa);
        }
        catch (CryptographicException ex)
        {
            ecdsa.Dispose();
            throw new SshFormatException("The EC private key is malformed.", ex);
        }

        return EcdsaPrivateKey.FromEcdsa(ecdsa);
    }

    private static Ed25519PrivateKey ImportEd25519(byte[] der)
    {
        try
        {
            // RFC 8410 §7: the private key OCTET STRING wraps CurvePrivateKey ::= OCTET STRING (the 32-byte seed).
            var info = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
            info.ReadInteger();
            info.ReadSequence();
            byte[] wrapped = info.ReadOctetString();
            byte[] seed = new AsnReader(wrapped, AsnEncodingRules.DER).ReadOctetString();
            try
            {
                return Ed25519PrivateKey.FromSeed(seed);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(seed);
                CryptographicOperations.ZeroMemory(wrapped);
            }
        }
        catch (AsnContentException ex)
        {
            throw new SshFormatException("The Ed25519 PKCS#8 key is malformed.", ex);
        }
    }
}
