using System.Buffers;
using System.Security.Cryptography;
using System.Runtime.CompilerServices;

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

/// <summary>The outcome of a verification.</summary>
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
/// One event as the verifier sees it: where it is, what it links to, and <see cref="Problem"/> when its content does
/// not hash to <see cref="Hash"/> (or could not be read). <see cref="Seq"/> is -1 when not even that was readable.
/// The hashes may be slices of a buffer shared by a chunk of links.
/// </summary>
public readonly record struct AuditLink(long Seq, ReadOnlyMemory<byte> PrevHash, ReadOnlyMemory<byte> Hash, string? Problem)
{
    /// <summary>Checks an event's content against its stored hash.</summary>
    public static AuditLink FromEvent(AuditEvent e, ArrayBufferWriter<byte> scratch, Sha256Context sha)
    {
        if (e.Hash.Length != AuditChain.HashSize || e.PrevHash.Length != AuditChain.HashSize)
            return new(e.Seq, e.PrevHash, e.Hash, $"event {e.Seq}: hash or prev_hash is not 32 bytes (modified)");
        if (!Enum.IsDefined(e.Outcome))
            return new(e.Seq, e.PrevHash, e.Hash, $"event {e.Seq}: unknown outcome (modified)");
        Span<byte> hash = stackalloc byte[AuditChain.HashSize];
        try
        {
            AuditChain.ComputeHash(e, scratch, sha, hash);
        }
        catch (FormatException)
        {
            return new(e.Seq, e.PrevHash, e.Hash, $"event {e.Seq}: contents cannot be canonicalised (modified)");
        }
        return hash.SequenceEqual(e.Hash) ? new(e.Seq, e.PrevHash, e.Hash, null)
            : new(e.Seq, e.PrevHash, e.Hash, $"event {e.Seq}: hash does not match its contents (modified)");
    }
}

/// <summary>
/// Re-walks the hash chain and checks signed checkpoints, offline. Content hashing runs on every core (an event's
/// hash depends only on its own fields and its stored prev_hash); sources deliver ordered chunks of
/// <see cref="AuditLink"/>s and the links between events are then checked in order. Reports the first bad sequence
/// number.
/// </summary>
public static class AuditVerifier
{
    private const int ChunkSize = 8192;

    /// <summary>Verifies events from any source (hashing chunks in parallel).</summary>
    public static Task<AuditVerificationResult> VerifyAsync(
        IAsyncEnumerable<AuditEvent> events, IReadOnlyList<AuditCheckpoint> checkpoints, byte[]? storedPublicKey,
        AuditVerificationOptions options, CancellationToken cancellationToken) =>
        VerifyLinksAsync(LinksFromEvents(events, cancellationToken), checkpoints, storedPublicKey, options, cancellationToken);

    /// <summary>Verifies a whole store, reading and hashing sequence ranges on every core at once.</summary>
    public static async Task<AuditVerificationResult> VerifyStoreAsync(
        IAuditStore store, IReadOnlyList<AuditCheckpoint> checkpoints, byte[]? storedPublicKey,
        AuditVerificationOptions options, CancellationToken cancellationToken)
    {
        var head = await store.GetHeadAsync(cancellationToken).ConfigureAwait(false);
        return await VerifyLinksAsync(LinksFromStore(store, head.Seq, cancellationToken), checkpoints, storedPublicKey, options, cancellationToken).ConfigureAwait(false);
    }

    public static async Task<AuditVerificationResult> VerifyLinksAsync(
        IAsyncEnumerable<AuditLink[]> chunks,
        IReadOnlyList<AuditCheckpoint> checkpoints,
        byte[]? storedPublicKey,
        AuditVerificationOptions options,
        CancellationToken cancellationToken)
    {
        var notes = new List<string>();
        var checkpointSeqs = checkpoints.Select(c => c.Seq).ToHashSet();
        var seenHashes = new Dictionary<long, byte[]>();

        long count = 0, gaps = 0, expectedSeq = 1;
        ReadOnlyMemory<byte> prevHash = AuditChain.GenesisHash.ToArray();
        var headSeq = 0L;
        (long Seq, string Problem)? failure = null;
        try
        {
            await foreach (var chunk in chunks.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                foreach (var link in chunk)
                {
                    failure = CheckLink(link, options, ref expectedSeq, ref gaps, prevHash);
                    if (failure is not null) break;
                    if (checkpointSeqs.Contains(link.Seq)) seenHashes[link.Seq] = link.Hash.ToArray();
                    prevHash = link.Hash;
                    expectedSeq = link.Seq + 1;
                    headSeq = link.Seq;
                    count++;
                }
                if (failure is not null) break;
            }
        }
        catch (FormatException e)
        {
            // A source that cannot even be read further (a broken export line): damage at the next expected event.
            failure = (expectedSeq, e.Message);
        }

        var head = count == 0 ? AuditHead.Empty : new AuditHead(headSeq, prevHash.ToArray());
        var verified = 0;
        failure ??= CheckCheckpoints(checkpoints, seenHashes, storedPublicKey, options, head, notes, ref verified);
        if (failure is null && options.ExpectHead is { } expect && head.Seq < expect.Seq)
            failure = (head.Seq + 1, $"the log ends at {head.Seq} but a head at {expect.Seq} was recorded earlier (truncated)");
        if (gaps > 0) notes.Add($"{gaps} events are not in this selection (filtered export): verified event by event");

        return failure is { } f
            ? new AuditVerificationResult(false, count, head, f.Seq, f.Problem, verified, gaps, notes)
            : new AuditVerificationResult(true, count, head, null, null, verified, gaps, notes);
    }

    private static (long, string)? CheckLink(in AuditLink link, AuditVerificationOptions options, ref long expectedSeq, ref long gaps, ReadOnlyMemory<byte> prevHash)
    {
        if (link.Seq < 0) return (expectedSeq, link.Problem ?? "unreadable event");
        if (link.Seq != expectedSeq)
        {
            if (link.Seq < expectedSeq)
                return (link.Seq, $"event {link.Seq} appears out of order or twice (inserted or reordered)");
            if (!options.Partial)
                return (expectedSeq, link.Seq - expectedSeq == 1
                    ? $"event {expectedSeq} is missing (deleted)"
                    : $"events {expectedSeq}..{link.Seq - 1} are missing (deleted)");
            gaps += link.Seq - expectedSeq;
        }
        else if (!link.PrevHash.Span.SequenceEqual(prevHash.Span))
        {
            return (link.Seq, $"event {link.Seq}: prev_hash does not match the hash of event {link.Seq - 1} (inserted, reordered or modified)");
        }
        if (link.Problem is not null) return (link.Seq, link.Problem);
        if (options.ExpectHead is { } eh && eh.Seq == link.Seq && !eh.Hash.AsSpan().SequenceEqual(link.Hash.Span))
            return (link.Seq, $"event {link.Seq} differs from the expected head recorded earlier (rewritten)");
        return null;
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

    /// <summary>Chunks of events, each chunk hashed on every core.</summary>
    public static async IAsyncEnumerable<AuditLink[]> LinksFromEvents(IAsyncEnumerable<AuditEvent> events, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var buffer = new List<AuditEvent>(ChunkSize);
        await foreach (var e in events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            buffer.Add(e);
            if (buffer.Count == ChunkSize)
            {
                yield return HashChunk(buffer);
                buffer.Clear();
            }
        }
        if (buffer.Count > 0) yield return HashChunk(buffer);
    }

    /// <summary>
    /// Sequence ranges read and hashed concurrently (one task per core, plus one ahead), delivered in order. The
    /// first range starts below 1 so rows an attacker inserted with seq ≤ 0 are seen too.
    /// </summary>
    public static async IAsyncEnumerable<AuditLink[]> LinksFromStore(
        IAuditStore store, long upToSeq, [EnumeratorCancellation] CancellationToken cancellationToken, int rangeSize = RangeCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rangeSize, 1);
        var next = 0L;
        var inflight = new Queue<Task<AuditLink[]>>();
        void StartNext()
        {
            var after = next == 0 ? long.MinValue : next;
            var upTo = next + rangeSize >= upToSeq ? long.MaxValue : next + rangeSize;
            next = upTo == long.MaxValue ? upToSeq + 1 : upTo;
            inflight.Enqueue(Task.Run(() => ReadRangeAsync(store, after, upTo, cancellationToken), cancellationToken));
        }
        while (next <= upToSeq && inflight.Count < Environment.ProcessorCount + 1) StartNext();
        while (inflight.Count > 0)
        {
            var chunk = await inflight.Dequeue().ConfigureAwait(false);
            if (next <= upToSeq) StartNext();
            yield return chunk;
        }
    }

    private static async Task<AuditLink[]> ReadRangeAsync(IAuditStore store, long after, long upTo, CancellationToken cancellationToken)
    {
        if (store is IAuditRowReader rows)
        {
            // Straight from the stored bytes: no strings or events per row.
            using var hasher = new AuditRowHasher();
            rows.ReadRows(after, upTo, hasher, cancellationToken);
            return hasher.TakeLinks();
        }
        var links = new List<AuditLink>();
        var scratch = new ArrayBufferWriter<byte>(1024);
        using var sha = new Sha256Context();
        await foreach (var e in store.ReadAsync(new AuditQuery { AfterSeq = after, UpToSeq = upTo == long.MaxValue ? null : upTo }, cancellationToken).ConfigureAwait(false))
            links.Add(AuditLink.FromEvent(e, scratch, sha));
        return [.. links];
    }

    private const int RangeCapacity = 32_768;

    private static AuditLink[] HashChunk(List<AuditEvent> chunk)
    {
        var links = new AuditLink[chunk.Count];
        var workers = Math.Min(Environment.ProcessorCount, Math.Max(1, chunk.Count / 256));
        Parallel.For(0, workers, w =>
        {
            var scratch = new ArrayBufferWriter<byte>(1024);
            using var sha = new Sha256Context();
            for (var i = w; i < chunk.Count; i += workers) links[i] = AuditLink.FromEvent(chunk[i], scratch, sha);
        });
        return links;
    }
}
