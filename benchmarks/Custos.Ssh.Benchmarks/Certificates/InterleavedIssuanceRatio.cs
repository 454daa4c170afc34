using System.Diagnostics;
using System.Globalization;

namespace Custos.Ssh.Benchmarks.Certificates;

/// <summary>
/// A load-robust check of the issuance target on a shared machine: batches of raw Ed25519 signatures and
/// of certificate issuance alternate, so both see the same background load, and the medians of the
/// process CPU time per operation are compared (time spent descheduled by other work is not counted).
/// Run with <c>dotnet run -c Release -- ratio</c>.
/// </summary>
internal static class InterleavedIssuanceRatio
{
    public static void Run(int rounds = 40, int batch = 500)
    {
        var benchmark = new Ed25519IssuanceRatioBenchmarks();
        benchmark.Setup();
        try
        {
            var raw = new List<double>();
            var issue = new List<double>();
            var custos = new List<double>();
            for (int warmup = 0; warmup < 2000; warmup++)
            {
                benchmark.RawEd25519Signature();
                benchmark.IssueEd25519Certificate();
            }

            for (int round = 0; round < rounds; round++)
            {
                raw.Add(Measure(batch, benchmark.RawEd25519Signature));
                issue.Add(Measure(batch, () => benchmark.IssueEd25519Certificate()));
                custos.Add(Measure(batch, () => benchmark.CustosEd25519Signature()));
            }

            double rawMedian = Median(raw);
            double issueMedian = Median(issue);
            double custosMedian = Median(custos);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"raw Ed25519 signature: {rawMedian:F2} us ({1e6 / rawMedian:F0}/s); Ed25519 certificate issuance: {issueMedian:F2} us ({1e6 / issueMedian:F0}/s); issuance rate = {rawMedian / issueMedian:P1} of raw; SshPrivateKey.Sign: {custosMedian:F2} us"));
        }
        finally
        {
            benchmark.Cleanup();
        }
    }

    private static double Measure(int count, Action action)
    {
        using var process = Process.GetCurrentProcess();
        TimeSpan start = process.TotalProcessorTime;
        for (int i = 0; i < count; i++)
        {
            action();
        }

        process.Refresh();
        return (process.TotalProcessorTime - start).TotalMicroseconds / count;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
