using System.Diagnostics;
using Custos.Ssh.Transport;

namespace Custos.Ssh.Tests.Support;

/// <summary>Runs protocol code on hostile input: only the library's protocol or format exception, no hang, bounded allocation.</summary>
internal static class ProtocolInput
{
    public static void OnlyProtocolErrors(int inputLength, Action parse)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        try
        {
            parse();
        }
        catch (SshProtocolException)
        {
        }
        catch (SshFormatException)
        {
        }
        catch (AggregateException e) when (e.InnerExceptions is [SshProtocolException or SshFormatException])
        {
        }
        clock.Stop();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var budget = 512 * 1024 + 64L * inputLength;
        Assert.True(allocated <= budget, $"Allocated {allocated} bytes for {inputLength} bytes of input (budget {budget}).");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"Took {clock.Elapsed} on {inputLength} bytes.");
    }
}
