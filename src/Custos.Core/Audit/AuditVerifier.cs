using System.Buffers;
using System.Security.Cryptography;
using System.Threading.Channels;

namespace Custos.Core.Audit;

/// <summary>What a verification should additionally hold the log to.</summary>
public sealed record AuditVerificationOptions
{
    /// <summary>A head recorded elsewhere earlier: detects truncation and any rewrite up to that point.</summary>
    public AuditHead? ExpectHead { get; init; }

    /// <summary>The audit public key held elsewhere: detects a log re-signed with another key.</summary>
    public byte[]? TrustedKey { get; init; }

    /// <summary>The events are a filtered selection: gaps are reported as gaps, not as tampering.</summary>
    public bool Partial { get; init; }
}

/// <summary>The outcome of <see cref="AuditVerifier.VerifyAsync"/>.</summary>
public sealed record AuditVerificationResult(
    bool Intact,
    long EventCount,
    AuditHead Head,
    long? FirstBadSeq,
    string? Problem,
    int CheckpointsVerified,
    long GapCount,
    IReadOnlyList<string> Notes);

/// <summary>
/// Re-walks the hash chain and checks signed checkpoints, offline. Hashing runs on every core (each event's hash
/// depends only on its own fields and its stored prev_hash); links between events are then checked in order.
/// Reports the first bad sequence number.
/// </summary>
public static class AuditVerifier
{
    private const int ChunkSize = 4096;

    public static async Task<AuditVerificationResult> VerifyAsync(
        IAsyncEnumerable<AuditEvent> events,
        IReadOnlyList<AuditCheckpoint> checkpoints,
        byte[]? storedPublicKey,
        AuditVerificationOptions options,
        CancellationToken cancellationToken)
    {
        var notes = new List<string>();
        var chunks = Channel.CreateBounded<AuditEvent[]>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var producer = Task.Run(() => ProduceAsync(events, chunks.Writer, stop.Token), CancellationToken.None);

        var checkpointsBySeq = new Dictionary<long, AuditCheckpoint>();
        foreach (var c in checkpoints) checkpointsBySeq.TryAdd(c.Seq, c);
        var checkpointHashes = new Dictionary<long, byte[]>();

        long count = 0, gaps = 0, expectedSeq = 1;
        var prevHash = AuditChain.GenesisHash.ToArray();
        var head = AuditHead.Empty;
        (long Seq, string Problem)? failure = null;
        try
        {
          try
          {
            await foreach (var chunk in chunks.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                var hashOk = HashChunk(chunk);
                for (var i = 0; i < chunk.Length; i++)
                {
                    var e = chunk[i];
                    if (e.Seq != expectedSeq)
                    {
                        if (e.Seq > expectedSeq && options.Partial)
                        {
                            gaps += e.Seq - expectedSeq;
                        }
                        else if (e.Seq > expectedSeq)
                        {
                            failure = (expectedSeq, e.Seq - expectedSeq == 1
                                ? $"event {expectedSeq} is missing (deleted)"
                                : $"events {expectedSeq}..{e.Seq - 1} are missing (deleted)");
                            break;
                        }
                        else
                        {
                            failure = (e.Seq, $"event {e.Seq} appears out of order or twice (inserted or reordered)");
                            break;
                        }
                    }
                    else if (!e.PrevHash.AsSpan().SequenceEqual(prevHash))
                    {
                        failure = (e.Seq, $"event {e.Seq}: prev_hash does not match the hash of event {e.Seq - 1} (inserted, reordered or modified)");
                        break;
                    }
                    if (!hashOk[i])
                    {
                        failure = (e.Seq, $"event {e.Seq}: hash does not match its contents (modified)");
                        break;
                    }
                    if (checkpointsBySeq.ContainsKey(e.Seq)) checkpointHashes[e.Seq] = e.Hash;
                    if (options.ExpectHead is { } eh && eh.Seq == e.Seq && !eh.Hash.AsSpan().SequenceEqual(e.Hash))
                    {
                        failure = (e.Seq, $"event {e.Seq} differs from the expected head recorded earlier (rewritten)");
                        break;
                    }
                    prevHash = e.Hash;
                    expectedSeq = e.Seq + 1;
                    head = new AuditHead(e.Seq, e.Hash);
                    count++;
                }
                if (failure is not null) break;
            }
          }
          catch (FormatException e)
          {
              // An export line that does not even parse: tampering (or damage) at the next expected event.
              failure = (expectedSeq, e.Message);
          }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await producer.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
            }
        }

        var verified = 0;
        if (failure is null) failure = CheckCheckpoints(checkpoints, checkpointHashes, storedPublicKey, options, head, notes, ref verified);
        if (failure is null && options.ExpectHead is { } expect && head.Seq < expect.Seq)
            failure = (head.Seq + 1, $"the log ends at {head.Seq} but a head at {expect.Seq} was recorded earlier (truncated)");
        if (gaps > 0) notes.Add($"{gaps} events are not in this selection (filtered export): verified event by event");

        return failure is { } f
            ? new AuditVerificationResult(false, count, head, f.Seq, f.Problem, verified, gaps, notes)
            : new AuditVerificationResult(true, count, head, null, null, verified, gaps, notes);
    }

    private static (long, string)? CheckCheckpoints(
        IReadOnlyList<AuditCheckpoint> checkpoints, Dictionary<long, byte[]> seen, byte[]? storedKey,
        AuditVerificationOptions options, AuditHead head, List<string> notes, ref int verified)
    {
        if (options.TrustedKey is { } trusted && storedKey is not null && !CryptographicOperations.FixedTimeEquals(trusted, storedKey))
            return (1, "the log's audit public key is not the trusted key (re-signed with another key)");
        var key = options.TrustedKey ?? storedKey;
        if (key is null)
        {
            if (checkpoints.Count > 0) notes.Add("no audit public key available: checkpoint signatures not checked");
            return null;
        }
        var keyId = AuditSigningKey.ComputeKeyId(key);
        foreach (var c in checkpoints.OrderBy(c => c.Seq))
        {
            if (c.Seq > head.Seq)
            {
                if (options.Partial) continue;
                return (head.Seq + 1, $"a checkpoint signed at {c.Seq} but the log ends at {head.Seq} (truncated)");
            }
            if (!string.Equals(c.KeyId, keyId, StringComparison.Ordinal) || !AuditSigningKey.Verify(key, c))
                return (c.Seq, $"checkpoint at {c.Seq} has an invalid signature");
            if (!seen.TryGetValue(c.Seq, out var hash))
            {
                if (options.Partial) continue;
                return (c.Seq, $"checkpoint at {c.Seq} refers to an event that is missing");
            }
            if (!hash.AsSpan().SequenceEqual(c.HeadHash))
                return (c.Seq, $"event {c.Seq} differs from the signed checkpoint at {c.Seq} (rewritten)");
            verified++;
        }
        if (checkpoints.Count == 0 && head.Seq > 0 && !options.Partial)
            notes.Add("the log has no signed checkpoint yet");
        return null;
    }

    private static async Task ProduceAsync(IAsyncEnumerable<AuditEvent> events, ChannelWriter<AuditEvent[]> writer, CancellationToken cancellationToken)
    {
        var buffer = new List<AuditEvent>(ChunkSize);
        try
        {
            await foreach (var e in events.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                buffer.Add(e);
                if (buffer.Count == ChunkSize)
                {
                    await writer.WriteAsync([.. buffer], cancellationToken).ConfigureAwait(false);
                    buffer.Clear();
                }
            }
            if (buffer.Count > 0) await writer.WriteAsync([.. buffer], cancellationToken).ConfigureAwait(false);
            writer.TryComplete();
        }
        catch (Exception e)
        {
            // Events read before the error are still verified; the consumer then sees the error.
            if (buffer.Count > 0 && e is not OperationCanceledException) await writer.WriteAsync([.. buffer], cancellationToken).ConfigureAwait(false);
            writer.TryComplete(e);
        }
    }

    private static bool[] HashChunk(AuditEvent[] chunk)
    {
        var ok = new bool[chunk.Length];
        var workers = Math.Min(Environment.ProcessorCount, Math.Max(1, chunk.Length / 256));
        Parallel.For(0, workers, w =>
        {
            var scratch = new ArrayBufferWriter<byte>(1024);
            Span<byte> hash = stackalloc byte[AuditChain.HashSize];
            for (var i = w; i < chunk.Length; i += workers)
            {
                var e = chunk[i];
                if (e.Hash.Length != AuditChain.HashSize || e.PrevHash.Length != AuditChain.HashSize || !Enum.IsDefined(e.Outcome))
                    continue;
                try
                {
                    AuditChain.ComputeHash(e, scratch, hash);
                }
                catch (FormatException)
                {
                    continue;
                }
                ok[i] = hash.SequenceEqual(e.Hash);
            }
        });
        return ok;
    }
}
