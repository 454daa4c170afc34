namespace Custos.Ssh.Connection;

/// <summary>
/// Joins two channels, typically a client's channel on the gateway and the matching channel opened on the
/// upstream server: data, extended data, EOF and every channel request (with its reply) are forwarded
/// verbatim and in order in both directions. Each side grants window only as the other side accepts the
/// data, so back-pressure crosses the bridge. Ends when both directions are closed.
/// </summary>
public static class SshChannelBridge
{
    public static async Task RunAsync(SshChannel downstream, SshChannel upstream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(downstream);
        ArgumentNullException.ThrowIfNull(upstream);
        var toUpstream = PumpAsync(downstream, upstream, cancellationToken);
        var toDownstream = PumpAsync(upstream, downstream, cancellationToken);
        await Task.WhenAll(toUpstream, toDownstream).ConfigureAwait(false);
    }

    private static async Task PumpAsync(SshChannel from, SshChannel to, CancellationToken cancellationToken)
    {
        try
        {
            while (await from.ReceiveAsync(cancellationToken).ConfigureAwait(false) is { } message)
            {
                switch (message)
                {
                    case SshChannelData { ExtendedType: null } data:
                        await to.SendDataAsync(data.Data, cancellationToken).ConfigureAwait(false);
                        break;
                    case SshChannelData data:
                        await to.SendExtendedDataAsync(data.ExtendedType.Value, data.Data, cancellationToken).ConfigureAwait(false);
                        break;
                    case SshChannelEof:
                        await to.SendEofAsync(cancellationToken).ConfigureAwait(false);
                        break;
                    case SshChannelRequest request:
                        // RFC 4254 §5.4: replies come back in request order, so waiting here keeps them matched.
                        var success = await to.SendRequestAsync(request.Type, request.Payload, request.WantReply, cancellationToken).ConfigureAwait(false);
                        await request.ReplyAsync(success).ConfigureAwait(false);
                        break;
                }
            }
        }
        catch (InvalidOperationException)
        {
            // The other side closed while data was in flight; closing below finishes the bridge.
        }
        await to.CloseAsync(cancellationToken).ConfigureAwait(false);
    }
}
