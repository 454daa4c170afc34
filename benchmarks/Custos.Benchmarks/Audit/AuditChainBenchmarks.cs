using System.Buffers;
using BenchmarkDotNet.Attributes;
using Custos.Core.Audit;

namespace Custos.Benchmarks.Audit;

/// <summary>In-process cost of one hash-chain step (canonical JSON + SHA-256) and of signing a checkpoint.</summary>
[MemoryDiagnoser]
public class AuditChainBenchmarks
{
    private readonly ArrayBufferWriter<byte> _scratch = new(1024);
    private readonly byte[] _hash = new byte[32];
    private AuditEvent _event = null!;
    private AuditSigningKey _key = null!;

    [GlobalSetup]
    public void Setup()
    {
        var entry = new AuditEntry("ssh.session.start", new AuditActor("user", "u-42", "alice"), AuditOutcome.Success, Target: "node/db-1",
            Source: new AuditSource("10.0.0.7", "custos-cli/1.0"), RequestId: "req-1", Details: new System.Text.Json.Nodes.JsonObject { ["login"] = "root", ["session"] = 12345 });
        _event = new AuditEvent(1_000_000, DateTimeOffset.UtcNow, entry.Type, entry.Actor, entry.Outcome, entry.Target, null, entry.Source,
            entry.RequestId, AuditEntryValidator.Validate(entry), new byte[32], new byte[32]);
        _key = AuditSigningKey.Generate();
    }

    [Benchmark]
    public byte ChainStep()
    {
        AuditChain.ComputeHash(_event, _scratch, _hash);
        return _hash[0];
    }

    [Benchmark]
    public AuditCheckpoint SignCheckpoint() => _key.SignCheckpoint(1_000_000, _hash, DateTimeOffset.UtcNow);

    [GlobalCleanup]
    public void Cleanup() => _key.Dispose();
}
