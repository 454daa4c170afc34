using Custos.Ssh.Transport.Ciphers;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Transport.KeyExchange;

/// <summary>RFC 4253 §8 exchange hash and §7.2 key derivation.</summary>
internal static class KeyDerivation
{
    /// <summary>H = HASH(V_C || V_S || I_C || I_S || K_S || Q_C || Q_S || K), each a string except K.</summary>
    public static byte[] ExchangeHash(
        KeyExchangeMethod method,
        string clientVersion,
        string serverVersion,
        ReadOnlySpan<byte> clientKexInit,
        ReadOnlySpan<byte> serverKexInit,
        ReadOnlySpan<byte> hostKey,
        ReadOnlySpan<byte> clientPublic,
        ReadOnlySpan<byte> serverPublic,
        ReadOnlySpan<byte> encodedSecret)
    {
        var writer = new SshWriter();
        writer.WriteString(System.Text.Encoding.ASCII.GetBytes(clientVersion));
        writer.WriteString(System.Text.Encoding.ASCII.GetBytes(serverVersion));
        writer.WriteString(clientKexInit);
        writer.WriteString(serverKexInit);
        writer.WriteString(hostKey);
        writer.WriteString(clientPublic);
        writer.WriteString(serverPublic);
        writer.WriteRaw(encodedSecret);
        return method.Hash(writer.WrittenSpan);
    }

    /// <summary>
    /// Derives one key: K1 = HASH(K || H || letter || session_id), Kn = HASH(K || H || K1 || ... || Kn-1),
    /// concatenated and truncated to <paramref name="length"/>.
    /// </summary>
    public static byte[] Derive(KeyExchangeMethod method, ReadOnlySpan<byte> encodedSecret, ReadOnlySpan<byte> exchangeHash, char letter, ReadOnlySpan<byte> sessionId, int length)
    {
        var result = new List<byte>(length + 64);
        byte[] seed = [.. encodedSecret, .. exchangeHash, (byte)letter, .. sessionId];
        result.AddRange(method.Hash(seed));
        while (result.Count < length)
        {
            byte[] more = [.. encodedSecret, .. exchangeHash, .. result];
            result.AddRange(method.Hash(more));
        }
        return [.. result.GetRange(0, length)];
    }

    /// <summary>Builds the cipher for one direction from the negotiated algorithm.</summary>
    public static PacketCipher CreateCipher(KeyExchangeMethod method, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> hash, ReadOnlySpan<byte> sessionId, string cipher, bool clientToServer)
    {
        var (keyLength, ivLength, macLength) = CipherNames.KeySizes(cipher);
        var iv = ivLength == 0 ? [] : Derive(method, secret, hash, clientToServer ? 'A' : 'B', sessionId, ivLength);
        var key = Derive(method, secret, hash, clientToServer ? 'C' : 'D', sessionId, keyLength);
        var mac = macLength == 0 ? [] : Derive(method, secret, hash, clientToServer ? 'E' : 'F', sessionId, macLength);
        try
        {
            return CipherNames.Create(cipher, key, iv, mac);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(key);
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(mac);
        }
    }
}
