using BenchmarkDotNet.Running;
using Custos.Policy.Benchmarks;

// dotnet run -c Release -- load [SECONDS]          (histogram p50/p99, decisions/s on one thread, who-can, what-can, recompile)
// dotnet run -c Release -- [BenchmarkDotNet arguments]
return args.FirstOrDefault() switch
{
    "load" => PolicyLoad.Run(args[1..]),
    _ => Run(args),
};

static int Run(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(PolicyBenchmarks).Assembly).Run(args);
    return 0;
}
