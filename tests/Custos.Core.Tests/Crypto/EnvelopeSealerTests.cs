using System.Security.Cryptography;
using Custos.Core.Crypto;

namespace Custos.Core.Tests.Crypto;

public class EnvelopeSealerTests
{
    [Fact]
    public void A_sealed_secret_opens_with_the_same_master_key_and_name()
    {
        using var master = MasterKey.Generate();
        var sealer = new EnvelopeSealer(master);
        var sealedSecret = sealer.Seal("ca.user", [1, 2, 3, 4]);
        Assert.Equal([1, 2, 3, 4], sealer.Open("ca.user", sealedSecret));
        Assert.Equal(12 + 4 + 16, sealedSecret.Ciphertext.Length); // nonce, ciphertext, tag
        Assert.False(sealedSecret.Ciphertext.AsSpan(12, 4).SequenceEqual(new byte[] { 1, 2, 3, 4 }));
    }

    [Fact]
    public void Another_master_key_cannot_open_it()
    {
        using var master = MasterKey.Generate();
        using var other = MasterKey.Generate();
        var sealedSecret = new EnvelopeSealer(master).Seal("s", [9]);
        Assert.ThrowsAny<CryptographicException>(() => new EnvelopeSealer(other).Open("s", sealedSecret));
    }

    [Fact]
    public void A_secret_moved_to_another_name_or_altered_does_not_open()
    {
        using var master = MasterKey.Generate();
        var sealer = new EnvelopeSealer(master);
        var sealedSecret = sealer.Seal("a", [9, 9]);
        Assert.ThrowsAny<CryptographicException>(() => sealer.Open("b", sealedSecret));
        sealedSecret.Ciphertext[^1] ^= 1;
        Assert.ThrowsAny<CryptographicException>(() => sealer.Open("a", sealedSecret));
    }

    [Fact]
    public void Each_seal_uses_a_fresh_data_key_and_nonce()
    {
        using var master = MasterKey.Generate();
        var sealer = new EnvelopeSealer(master);
        var a = sealer.Seal("x", [1]);
        var b = sealer.Seal("x", [1]);
        Assert.NotEqual(a.WrappedKey, b.WrappedKey);
        Assert.NotEqual(a.Ciphertext, b.Ciphertext);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("AAAA")]
    public void A_malformed_master_key_is_refused_with_its_origin(string text)
    {
        var e = Assert.Throws<InvalidOperationException>(() => MasterKey.Parse(text, "CUSTOS_MASTER_KEY"));
        Assert.StartsWith("CUSTOS_MASTER_KEY", e.Message, StringComparison.Ordinal);
    }
}
