using Custos.Core.Credentials;
using Custos.Core.Crypto;

namespace Custos.Storage.Tests;

/// <summary>The SSH CA key storage contract (<see cref="ISshCaStore"/>), run on SQLite and on PostgreSQL.</summary>
public abstract partial class StoreContract
{
    private static SshCaKeyRecord CaKey(string id, SshCaType type, SshCaKeyState state = SshCaKeyState.Active) =>
        new(id, type, "ssh-ed25519", $"ssh-ed25519 AAAA{id} custos-{type.ToName()}-ca", state, T0, T0.AddSeconds(1));

    private static SealedSecret Sealed(byte marker) => new([marker, 1, 2], [marker, 3, 4, 5]);

    [Fact]
    public async Task SshCa_keys_and_their_sealed_private_halves_are_stored_together()
    {
        var store = await MigratedAsync();
        Assert.True(await store.TryAddSshCaKeyAsync(CaKey("user-1", SshCaType.User), Sealed(1), None));
        Assert.True(await store.TryAddSshCaKeyAsync(CaKey("host-1", SshCaType.Host), Sealed(2), None));
        var keys = await store.ListSshCaKeysAsync(None);
        Assert.Equal([CaKey("user-1", SshCaType.User), CaKey("host-1", SshCaType.Host)], keys.OrderByDescending(k => k.Id, StringComparer.Ordinal));
        var secret = await store.GetSecretAsync(SshCaNames.SecretName("host-1"), None);
        Assert.NotNull(secret);
        Assert.Equal(Sealed(2).Ciphertext, secret.Ciphertext);
        Assert.Equal(Sealed(2).WrappedKey, secret.WrappedKey);
    }

    [Fact]
    public async Task SshCa_a_second_active_key_for_one_ca_is_refused_and_writes_nothing()
    {
        var store = await MigratedAsync();
        Assert.True(await store.TryAddSshCaKeyAsync(CaKey("user-1", SshCaType.User), Sealed(1), None));
        // Another instance raced and lost: neither its key row nor its secret is stored.
        Assert.False(await store.TryAddSshCaKeyAsync(CaKey("user-2", SshCaType.User), Sealed(2), None));
        Assert.Null(await store.GetSecretAsync(SshCaNames.SecretName("user-2"), None));
        // The same id again is refused too; a key that is not active may join (rotation).
        Assert.False(await store.TryAddSshCaKeyAsync(CaKey("user-1", SshCaType.User, SshCaKeyState.Next), Sealed(3), None));
        Assert.True(await store.TryAddSshCaKeyAsync(CaKey("user-3", SshCaType.User, SshCaKeyState.Next), Sealed(3), None));
        Assert.Equal(["user-1", "user-3"], (await store.ListSshCaKeysAsync(None)).Select(k => k.Id).Order(StringComparer.Ordinal));
    }
}

/// <summary>The SSH revocation storage contract (<see cref="ISshRevocationStore"/>), run on SQLite and on PostgreSQL.</summary>
public abstract partial class StoreContract
{
    [Fact]
    public async Task SshRevocation_entries_are_idempotent_listed_until_they_expire_and_pruned()
    {
        var store = await MigratedAsync();
        var serial = new SshRevocation(SshRevocationKind.Serial, "12345", "lost laptop", "admin", T0, T0.AddHours(1));
        var key = new SshRevocation(SshRevocationKind.Key, "SHA256:abc", "compromised", "admin", T0, null);
        var keyId = new SshRevocation(SshRevocationKind.KeyId, "alice/s1", "user suspended", "admin", T0, T0.AddMinutes(10));
        Assert.True(await store.AddSshRevocationAsync(serial, None));
        Assert.True(await store.AddSshRevocationAsync(key, None));
        Assert.True(await store.AddSshRevocationAsync(keyId, None));
        Assert.False(await store.AddSshRevocationAsync(serial with { Reason = "again" }, None));
        Assert.Equal([key, keyId, serial], await store.ListSshRevocationsAsync(T0, None));
        // Expired entries drop out of the list at once and out of the table when pruned; kept-for-good ones stay.
        Assert.Equal([key, serial], await store.ListSshRevocationsAsync(T0.AddMinutes(10), None));
        Assert.Equal(0, await store.PruneSshRevocationsAsync(T0.AddMinutes(5), None));
        Assert.Equal(2, await store.PruneSshRevocationsAsync(T0.AddHours(2), None));
        Assert.Equal([key], await store.ListSshRevocationsAsync(T0, None));
    }
}
