using System.Diagnostics;
using System.Globalization;
using Custos.Ssh;
using Custos.Ssh.Fuzz;
using Custos.Ssh.Transport;
using SharpFuzz;

// Usage:
//   Custos.Ssh.Fuzz <target>                      under afl-fuzz (after 'sharpfuzz' instrumented Custos.Ssh.dll)
//   Custos.Ssh.Fuzz <target> --smoke <N> <corpus> in-process random mutation of the seed corpus, N executions
//   Custos.Ssh.Fuzz --write-corpus <dir>          writes the seed corpus
// Targets: packet (binary packet decoder, every cipher), message (server and transport message handlers), kexinit.
if (args is ["--write-corpus", var directory])
{
    SeedCorpus.Write(directory);
    return 0;
}
var target = args.Length > 0 ? args[0] : "message";
Action<byte[]> run = target switch
{
    "packet" => Targets.Packet,
    "kexinit" => Targets.KexInit,
    _ => Targets.Message,
};
if (args is [_, "--smoke", var count, var corpus])
{
    return Smoke(run, long.Parse(count, CultureInfo.InvariantCulture), corpus);
}
Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    Guard(run, buffer.ToArray());
});
return 0;

// The property the fuzzer checks: only the library's protocol or format exception may escape.
static void Guard(Action<byte[]> run, byte[] input)
{
    try
    {
        run(input);
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
}

static int Smoke(Action<byte[]> run, long executions, string corpus)
{
    var seeds = Directory.GetFiles(corpus).Select(File.ReadAllBytes).ToArray();
    var random = new Random(12345);
    var clock = Stopwatch.StartNew();
    var crashes = 0;
    for (long i = 0; i < executions; i++)
    {
        var input = Mutator.Mutate(seeds[random.Next(seeds.Length)], random);
        try
        {
            Guard(run, input);
        }
        catch (Exception e)
        {
            crashes++;
            var path = Path.Combine(Path.GetTempPath(), $"custos-fuzz-crash-{crashes}.bin");
            File.WriteAllBytes(path, input);
            Console.Error.WriteLine($"crash {crashes}: {e.GetType().Name}: {e.Message} ({path})");
        }
    }
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{executions} executions in {clock.Elapsed.TotalSeconds:F1} s ({executions / clock.Elapsed.TotalSeconds:F0}/s), {crashes} crashes"));
    return crashes == 0 ? 0 : 1;
}
