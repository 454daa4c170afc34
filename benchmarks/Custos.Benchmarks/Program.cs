using BenchmarkDotNet.Running;
using Custos.Benchmarks.Audit;
using Custos.Benchmarks.Identity;

// dotnet run -c Release -- append [--engine sqlite|postgres] [--writers 256] [--seconds 10]
// dotnet run -c Release -- verify [--events 1000000] [--runs 3] [--source sqlite,jsonl]
// dotnet run -c Release -- login-load [--rates 30,40,50] [--seconds 20] [--users 20] [--storm 200] [--hash-concurrency N]
// dotnet run -c Release -- api-roundtrip [--requests 20000] [--warmup 3000]
// dotnet run -c Release -- policy-http [--resources 100000] [--roles 1000] [--requests 20000] [--warmup 3000]
// dotnet run -c Release -- cert-issue [--callers 64] [--seconds 10]
// dotnet run -c Release -- cert-http [--callers 1,64,256] [--seconds 10]
// dotnet run -c Release -- [BenchmarkDotNet arguments]      (in-process micro-benchmarks)
return args.FirstOrDefault() switch
{
    "append" => await AuditAppendLoad.RunAsync(args[1..]),
    "verify" => await AuditVerifyLoad.RunAsync(args[1..]),
    "login-load" => await LoginLoad.RunAsync(args[1..]),
    "api-roundtrip" => await ApiRoundTripLoad.RunAsync(args[1..]),
    "cert-issue" => await Custos.Benchmarks.Certificates.CertificateIssueLoad.RunAsync(args[1..]),
    "cert-http" => await Custos.Benchmarks.Certificates.CertificateHttpLoad.RunAsync(args[1..]),
    "policy-http" => await Custos.Benchmarks.Policy.PolicyHttpLoad.RunAsync(args[1..]),
    _ => Run(args),
};

static int Run(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(AuditAppendLoad).Assembly).Run(args);
    return 0;
}
