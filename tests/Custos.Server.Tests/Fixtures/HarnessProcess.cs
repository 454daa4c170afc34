using System.Diagnostics;
using System.Globalization;
using Custos.Testing;

namespace Custos.Server.Tests.Fixtures;

/// <summary>One "ack SEQ WRITER N" line: the harness printed it after AppendAsync returned, so the event was durable.</summary>
public sealed record Ack(long Seq, int Writer, int N);

/// <summary>
/// The test-only audit harness (tests/Custos.AuditHarness) as a child process: appends from many concurrent writers
/// and prints a line per acknowledged event. Only complete lines are kept, so a line cut off by SIGKILL is never
/// mistaken for an acknowledgement.
/// </summary>
public sealed class HarnessProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<Ack> _acks = [];
    private readonly System.Text.StringBuilder _stderr = new();

    private HarnessProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            var parts = e.Data.Split(' ');
            if (parts is ["ack", var seq, var writer, var n])
            {
                var ack = new Ack(long.Parse(seq, CultureInfo.InvariantCulture), int.Parse(writer, CultureInfo.InvariantCulture), int.Parse(n, CultureInfo.InvariantCulture));
                lock (_acks) _acks.Add(ack);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int AckCount { get { lock (_acks) return _acks.Count; } }

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    public static HarnessProcess Start(string database, int writers, int eventsPerWriter = 1_000_000)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[]
        {
            RepoPaths.AuditHarnessDll, "--database", database, "--writers", writers.ToString(CultureInfo.InvariantCulture),
            "--events-per-writer", eventsPerWriter.ToString(CultureInfo.InvariantCulture),
        })
            psi.ArgumentList.Add(a);
        return new HarnessProcess(Process.Start(psi)!);
    }

    /// <summary>Fills a fresh database with a few events through the real storage and audit code, then exits.</summary>
    public static async Task AppendAsync(string database, int writers, int eventsPerWriter)
    {
        await using var harness = Start(database, writers, eventsPerWriter);
        using var timeout = new CancellationTokenSource(Timeouts.Command);
        await harness._process.WaitForExitAsync(timeout.Token);
        if (harness._process.ExitCode != 0) throw new InvalidOperationException($"the harness exited with {harness._process.ExitCode}: {harness.Stderr}");
    }

    public async Task WaitForAcksAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (AckCount < count)
        {
            if (_process.HasExited) throw new InvalidOperationException($"the harness exited with {_process.ExitCode} after {AckCount} acks: {Stderr}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"only {AckCount} acks within {timeout}: {Stderr}");
            await Task.Delay(20);
        }
    }

    /// <summary>SIGKILL: no chance to flush, close or checkpoint anything. Returns every acknowledgement seen before.</summary>
    public async Task<IReadOnlyList<Ack>> KillAsync()
    {
        List<Ack> seen;
        lock (_acks) seen = [.. _acks];
        _process.Kill();
        await _process.WaitForExitAsync();
        return seen;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
