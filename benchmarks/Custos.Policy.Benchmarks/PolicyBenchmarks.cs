using BenchmarkDotNet.Attributes;
using Custos.Core.Policy;

namespace Custos.Policy.Benchmarks;

/// <summary>BenchmarkDotNet suite over the generated estate (see <see cref="Estate"/>).</summary>
[MemoryDiagnoser]
public class PolicyBenchmarks
{
    private Estate _estate = null!;
    private PolicySet _set = null!;
    private (PolicySubject Subject, string Action, string? Resource, DecisionContext Context)[] _queries = null!;
    private RoleDocument _changed = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _estate = new Estate();
        _set = _estate.Compile();
        _queries = _estate.Queries(1 << 16);
        foreach (var q in _queries)
            _set.Decide(q.Subject, q.Action, q.Resource, q.Context);
        _changed = _estate.Roles[517] with { Description = "changed" };
    }

    [Benchmark(OperationsPerInvoke = 1024)]
    public int Decide()
    {
        var allowed = 0;
        for (var i = 0; i < 1024; i++)
        {
            var q = _queries[_next++ & (_queries.Length - 1)];
            if (_set.Decide(q.Subject, q.Action, q.Resource, q.Context).IsAllowed)
                allowed++;
        }
        return allowed;
    }

    [Benchmark]
    public WhoCanResult WhoCan() => _set.WhoCan(PolicyActions.SshSession, _estate.Resources[12_345].Name, _estate.Subjects);

    [Benchmark]
    public WhatCanResult WhatCan() => _set.WhatCan(_estate.Subjects[4_242]);

    [Benchmark]
    public PolicySet RecompileOneRole() => _set.WithRole(_changed);
}
