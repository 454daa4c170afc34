using System.Diagnostics;
using Custos.Core.Identity;

namespace Custos.Core.Tests.Identity;

public class PasswordHasherTests
{
    // Cheap parameters keep the tests fast; the OWASP setting is measured once below.
    private static readonly PasswordHashParameters Cheap = new(64, 1, 1);

    private static PasswordHasher NewHasher(PasswordHashParameters? parameters = null, int maxConcurrent = 2) =>
        new(parameters ?? Cheap, maxConcurrent, TimeSpan.FromSeconds(10));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_hash_is_a_PHC_string_that_verifies_the_same_password()
    {
        using var hasher = NewHasher();
        var phc = await hasher.HashAsync("correct horse battery staple", Ct);
        Assert.Matches(@"^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$", phc);
        Assert.True(await hasher.VerifyAsync("correct horse battery staple", phc, Ct));
        Assert.False(await hasher.VerifyAsync("correct horse battery stapler", phc, Ct));
        Assert.False(await hasher.VerifyAsync("", phc, Ct));
    }

    [Fact]
    public async Task Each_hash_has_a_fresh_salt()
    {
        using var hasher = NewHasher();
        Assert.NotEqual(await hasher.HashAsync("same password", Ct), await hasher.HashAsync("same password", Ct));
    }

    [Fact]
    public async Task Non_ascii_passwords_round_trip()
    {
        using var hasher = NewHasher();
        var phc = await hasher.HashAsync("pässwörd 🔑 пароль", Ct);
        Assert.True(await hasher.VerifyAsync("pässwörd 🔑 пароль", phc, Ct));
    }

    [Fact]
    public async Task A_hash_made_with_other_parameters_verifies_with_its_own_parameters()
    {
        using var old = NewHasher(new PasswordHashParameters(32, 2, 1));
        using var current = NewHasher();
        var phc = await old.HashAsync("long enough password", Ct);
        Assert.True(await current.VerifyAsync("long enough password", phc, Ct));
    }

    [Fact]
    public async Task A_tampered_hash_does_not_verify()
    {
        using var hasher = NewHasher();
        var phc = await hasher.HashAsync("pw", Ct);
        var parts = phc.Split('$');
        var hash = parts[5].ToCharArray();
        hash[0] = hash[0] == 'A' ? 'B' : 'A';
        Assert.False(await hasher.VerifyAsync("pw", string.Join('$', parts[..5]) + "$" + new string(hash), Ct));
        var salt = parts[4].ToCharArray();
        salt[0] = salt[0] == 'A' ? 'B' : 'A';
        Assert.False(await hasher.VerifyAsync("pw", string.Join('$', parts[..4]) + "$" + new string(salt) + "$" + parts[5], Ct));
        Assert.False(await hasher.VerifyAsync("pw", phc.Replace("t=1", "t=2", StringComparison.Ordinal), Ct));
        Assert.False(await hasher.VerifyAsync("pw", phc.Replace("m=64", "m=65", StringComparison.Ordinal), Ct));
    }

    public static TheoryData<string> Malformed => new()
    {
        "",
        "not a hash",
        "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + new string('A', 43),
        "$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + new string('A', 43),
        "$argon2id$v=19$m=64,t=1$c2FsdHNhbHRzYWx0c2FsdA$" + new string('A', 43),
        "$argon2id$v=19$t=1,m=64,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + new string('A', 43),
        "$argon2id$v=19$m=064,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + new string('A', 43),
        "$argon2id$v=19$m=-64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + new string('A', 43),
        "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA==$" + new string('A', 43), // padding
        "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$" + new string('A', 43), // 4-byte salt
        "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + new string('A', 42), // 31-byte hash
        "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + new string('A', 43) + "$",
        "$argon2id$v=19$m=64,t=1,p=1$c2Fs!HNhbHRzYWx0c2FsdA$" + new string('A', 43),
        "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdB$" + new string('A', 43), // non-canonical trailing bits
        "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + new string('A', 10_000),
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task Malformed_strings_do_not_verify_and_do_not_throw(string phc)
    {
        using var hasher = NewHasher();
        Assert.False(await hasher.VerifyAsync("pw", phc, Ct));
        Assert.True(hasher.NeedsRehash(phc));
    }

    [Theory]
    [InlineData("m=4194304,t=1,p=1")] // 4 GiB
    [InlineData("m=2147483647,t=1,p=1")]
    [InlineData("m=99999999999,t=1,p=1")]
    [InlineData("m=64,t=1000000,p=1")]
    [InlineData("m=64,t=0,p=1")]
    [InlineData("m=4,t=1,p=1")]
    [InlineData("m=64,t=1,p=4")] // libsodium computes one lane only
    [InlineData("m=64,t=1,p=0")]
    public async Task Hostile_parameters_are_refused_quickly(string parameters)
    {
        using var hasher = NewHasher();
        var phc = $"$argon2id$v=19${parameters}$c2FsdHNhbHRzYWx0c2FsdA${new string('A', 43)}";
        var watch = Stopwatch.StartNew();
        Assert.False(await hasher.VerifyAsync("pw", phc, Ct));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), "refused without hashing");
    }

    [Fact]
    public async Task Weaker_stored_parameters_need_a_rehash()
    {
        using var weak = NewHasher(new PasswordHashParameters(32, 1, 1));
        using var current = NewHasher(new PasswordHashParameters(64, 2, 1));
        using var stronger = NewHasher(new PasswordHashParameters(128, 3, 1));
        Assert.True(current.NeedsRehash(await weak.HashAsync("pw", Ct)));
        Assert.False(current.NeedsRehash(await current.HashAsync("pw", Ct)));
        Assert.False(current.NeedsRehash(await stronger.HashAsync("pw", Ct)));
    }

    [Fact]
    public async Task Passwords_over_1024_UTF8_bytes_are_refused_without_echoing_them()
    {
        using var hasher = NewHasher();
        Assert.NotNull(await hasher.HashAsync(new string('x', 1024), Ct));
        var tooLong = new string('é', 513); // 1026 bytes
        var e = await Assert.ThrowsAsync<ArgumentException>(() => hasher.HashAsync(tooLong, Ct));
        Assert.DoesNotContain("é", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => hasher.VerifyAsync(tooLong, "x", Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => hasher.VerifyDummyAsync(tooLong, Ct));
    }

    [Theory]
    [InlineData(0, 1, 1)]
    [InlineData(19456, 0, 1)]
    [InlineData(19456, 2, 2)]
    [InlineData(1_000_000, 2, 1)]
    public void Parameters_out_of_bounds_are_refused_at_construction(int m, int t, int p)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PasswordHasher(new PasswordHashParameters(m, t, p), 1, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task A_saturated_hasher_refuses_instead_of_queueing()
    {
        // Slow enough that one hash is surely still running when the second caller gives up after 1 ms.
        using var hasher = new PasswordHasher(new PasswordHashParameters(65536, 4, 1), 1, TimeSpan.FromMilliseconds(1));
        var first = hasher.HashAsync("first", Ct);
        var busy = await Assert.ThrowsAsync<PasswordHasherBusyException>(() => hasher.HashAsync("second", Ct));
        Assert.Equal("too many password checks in progress; retry shortly", busy.Message);
        await Assert.ThrowsAsync<PasswordHasherBusyException>(() => hasher.VerifyDummyAsync("third", Ct));
        Assert.True(await hasher.VerifyAsync("first", await first, Ct)); // the slot is free again
    }

    [Fact]
    public async Task Dummy_verification_does_the_work_of_a_real_one()
    {
        using var hasher = NewHasher(PasswordHashParameters.Owasp, maxConcurrent: 1);
        var phc = await hasher.HashAsync("measure me please", Ct);
        var real = Stopwatch.StartNew();
        await hasher.VerifyAsync("wrong password!!", phc, Ct);
        real.Stop();
        var dummy = Stopwatch.StartNew();
        await hasher.VerifyDummyAsync("wrong password!!", Ct);
        dummy.Stop();
        TestContext.Current.TestOutputHelper?.WriteLine($"OWASP Argon2id verify {real.Elapsed.TotalMilliseconds:F1} ms, dummy {dummy.Elapsed.TotalMilliseconds:F1} ms");
    }

    [Fact]
    public async Task Hash_time_at_OWASP_parameters_is_reported()
    {
        using var hasher = NewHasher(PasswordHashParameters.Owasp, maxConcurrent: 1);
        await hasher.HashAsync("warm-up password", Ct);
        const int runs = 5;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < runs; i++) await hasher.HashAsync("measured password", Ct);
        var perHash = watch.Elapsed.TotalMilliseconds / runs;
        TestContext.Current.TestOutputHelper?.WriteLine($"Argon2id m=19456 KiB, t=2, p=1: {perHash:F1} ms per hash (mean of {runs})");
    }
}
