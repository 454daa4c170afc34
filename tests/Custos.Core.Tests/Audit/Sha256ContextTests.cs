using System.Security.Cryptography;
using Custos.Core.Audit;

namespace Custos.Core.Tests.Audit;

public class Sha256ContextTests
{
    [Fact]
    public void A_reused_context_hashes_like_the_platform_SHA256_for_every_length_up_to_several_blocks()
    {
        var data = new byte[1100];
        new Random(7).NextBytes(data);
        using var sha = new Sha256Context();
        Span<byte> ours = stackalloc byte[32];
        for (var length = 0; length <= data.Length; length++)
        {
            sha.Hash(data.AsSpan(0, length), ours);
            Assert.Equal(SHA256.HashData(data.AsSpan(0, length)), ours.ToArray());
        }
    }

    [Fact]
    public void On_Linux_hashing_goes_through_one_reused_OpenSSL_context()
    {
        // The verifier's throughput depends on it (docs/benchmarks.md); the fallback would be correct but slow.
        if (OperatingSystem.IsLinux()) Assert.True(Sha256Context.UsesReusedContext);
    }

    [Fact]
    public void Contexts_on_several_threads_do_not_interfere()
    {
        var inputs = Enumerable.Range(0, 2000).Select(i => BitConverter.GetBytes(i).Concat(new byte[i % 300]).ToArray()).ToArray();
        var results = new byte[inputs.Length][];
        Parallel.For(0, 4, w =>
        {
            using var sha = new Sha256Context();
            for (var i = w; i < inputs.Length; i += 4)
            {
                results[i] = new byte[32];
                sha.Hash(inputs[i], results[i]);
            }
        });
        for (var i = 0; i < inputs.Length; i++) Assert.Equal(SHA256.HashData(inputs[i]), results[i]);
    }
}
