using BenchmarkDotNet.Running;
using Custos.Ssh.Benchmarks.Certificates;

if (args is ["ratio"])
{
    InterleavedIssuanceRatio.Run();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
