using System.Text;

namespace Custos.Ssh.Transport;

/// <summary>RFC 4253 §4.2 protocol version exchange.</summary>
internal static class VersionExchange
{
    private const int MaxLineLength = 255;
    private const int MaxPreambleLines = 32;

    public static async Task SendAsync(Stream stream, string identification, CancellationToken cancellationToken)
    {
        var bytes = Encoding.ASCII.GetBytes(identification + "\r\n");
        await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the peer's identification string. A server may precede it with other lines (§4.2), a client
    /// may not. Bytes read past the identification line are handed back for the packet codec.
    /// </summary>
    public static async Task<(string Identification, byte[] Leftover)> ReceiveAsync(Stream stream, bool peerIsServer, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        var filled = 0;
        var lines = 0;
        while (true)
        {
            var newline = Array.IndexOf(buffer, (byte)'\n', 0, filled);
            if (newline < 0)
            {
                if (filled > MaxLineLength)
                {
                    throw new SshProtocolException(DisconnectReason.ProtocolVersionNotSupported, "Identification line too long");
                }
                var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new SshProtocolException(DisconnectReason.ConnectionLost, "Connection closed during version exchange");
                }
                filled += read;
                continue;
            }
            if (newline > MaxLineLength)
            {
                throw new SshProtocolException(DisconnectReason.ProtocolVersionNotSupported, "Identification line too long");
            }
            var end = newline > 0 && buffer[newline - 1] == '\r' ? newline - 1 : newline;
            var line = Encoding.ASCII.GetString(buffer, 0, end);
            var leftover = buffer.AsSpan(newline + 1, filled - newline - 1).ToArray();
            if (line.StartsWith("SSH-", StringComparison.Ordinal))
            {
                if (!line.StartsWith("SSH-2.0-", StringComparison.Ordinal) && !line.StartsWith("SSH-1.99-", StringComparison.Ordinal))
                {
                    throw new SshProtocolException(DisconnectReason.ProtocolVersionNotSupported, "Peer does not speak SSH protocol 2.0");
                }
                if (line.Any(c => c < 0x20 || c > 0x7e))
                {
                    throw new SshProtocolException(DisconnectReason.ProtocolVersionNotSupported, "Identification string is not printable US-ASCII");
                }
                return (line, leftover);
            }
            if (!peerIsServer || ++lines > MaxPreambleLines)
            {
                throw new SshProtocolException(DisconnectReason.ProtocolVersionNotSupported, "Expected an SSH identification string");
            }
            leftover.CopyTo(buffer, 0);
            filled = leftover.Length;
        }
    }
}
