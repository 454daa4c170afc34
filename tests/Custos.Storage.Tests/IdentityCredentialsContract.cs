using Custos.Core.Identity;

namespace Custos.Storage.Tests;

/// <summary>The credential half of the identity storage contract: passwords, TOTP, recovery codes, WebAuthn.</summary>
public abstract partial class StoreContract
{
    [Fact]
    public async Task Passwords_and_totp_round_trip_and_a_totp_step_is_accepted_once()
    {
        var store = await MigratedAsync();
        var alice = await CreatedAsync(store, Person("alice"));
        Assert.Null(await store.GetPasswordAsync(alice.Id, None));
        await store.SetPasswordAsync(new PasswordCredential(alice.Id, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", T0), None);
        await store.SetPasswordAsync(new PasswordCredential(alice.Id, "$argon2id$second", T0.AddDays(1)), None);
        Assert.Equal(new PasswordCredential(alice.Id, "$argon2id$second", T0.AddDays(1)), await store.GetPasswordAsync(alice.Id, None));

        Assert.Null(await store.GetTotpAsync(alice.Id, None));
        Assert.False(await store.TryUseTotpStepAsync(alice.Id, 100, None)); // no enrolment, nothing accepted
        await store.SetCredentialsAsync(alice.Id, new CredentialSet(null, Totp(alice.Id), null), None);
        var totp = (await store.GetTotpAsync(alice.Id, None))!;
        Assert.Equal([1, 2, 3], totp.Secret.WrappedKey);
        Assert.Equal([4, 5, 6, 1], totp.Secret.Ciphertext);
        Assert.Equal((false, 0L, T0), (totp.Confirmed, totp.LastUsedStep, totp.CreatedAt));
        await store.ConfirmTotpAsync(alice.Id, None);
        Assert.True((await store.GetTotpAsync(alice.Id, None))!.Confirmed);

        Assert.True(await store.TryUseTotpStepAsync(alice.Id, 1000, None));
        Assert.False(await store.TryUseTotpStepAsync(alice.Id, 1000, None)); // replay
        Assert.False(await store.TryUseTotpStepAsync(alice.Id, 999, None)); // an older code
        Assert.True(await store.TryUseTotpStepAsync(alice.Id, 1001, None));
        Assert.Equal(1001, (await store.GetTotpAsync(alice.Id, None))!.LastUsedStep);
    }

    [Fact]
    public async Task Concurrent_uses_of_one_totp_step_accept_exactly_one()
    {
        var a = await MigratedAsync();
        var b = Track(SameDatabase());
        var alice = await CreatedAsync(a, Person("alice"));
        await a.SetCredentialsAsync(alice.Id, new CredentialSet(null, Totp(alice.Id), null), None);
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => (i % 2 == 0 ? a : b).TryUseTotpStepAsync(alice.Id, 5000, None))));
        Assert.Single(results, r => r);
    }

    [Fact]
    public async Task A_recovery_code_is_used_once_and_replacing_codes_drops_the_old_ones()
    {
        var store = await MigratedAsync();
        var alice = await CreatedAsync(store, Person("alice"));
        var codes = RecoveryCodes(alice.Id);
        await store.ReplaceRecoveryCodesAsync(alice.Id, codes, None);
        var listed = await store.ListRecoveryCodesAsync(alice.Id, None);
        Assert.Equal(codes.Select(c => c.Id), listed.Select(c => c.Id));
        Assert.Equal(codes[1].CodeHash, listed[1].CodeHash);
        Assert.All(listed, c => Assert.Null(c.UsedAt));

        Assert.True(await store.TryUseRecoveryCodeAsync(alice.Id, "rc1", T0.AddHours(1), None));
        Assert.False(await store.TryUseRecoveryCodeAsync(alice.Id, "rc1", T0.AddHours(2), None));
        Assert.False(await store.TryUseRecoveryCodeAsync(alice.Id, "missing", T0, None));
        Assert.Equal(T0.AddHours(1), (await store.ListRecoveryCodesAsync(alice.Id, None)).Single(c => c.Id == "rc1").UsedAt);

        await store.ReplaceRecoveryCodesAsync(alice.Id, [new RecoveryCodeRecord(alice.Id, "new", [1], T0, null)], None);
        Assert.Equal(["new"], (await store.ListRecoveryCodesAsync(alice.Id, None)).Select(c => c.Id));
        Assert.False(await store.TryUseRecoveryCodeAsync(alice.Id, "rc0", T0, None));
    }

    [Fact]
    public async Task Setting_credentials_replaces_only_the_given_ones()
    {
        var store = await MigratedAsync();
        var alice = await CreatedAsync(store, Person("alice"));
        var password = new PasswordCredential(alice.Id, "$argon2id$one", T0);
        await store.SetCredentialsAsync(alice.Id, new CredentialSet(password, Totp(alice.Id, 1), RecoveryCodes(alice.Id)), None);
        Assert.True(await store.TryAddWebAuthnCredentialAsync(WebAuthn(alice.Id, 1), None));
        await store.TryUseTotpStepAsync(alice.Id, 77, None);

        await store.SetCredentialsAsync(alice.Id, new CredentialSet(null, null, null), None);
        Assert.Equal(password, await store.GetPasswordAsync(alice.Id, None));
        Assert.Equal(77, (await store.GetTotpAsync(alice.Id, None))!.LastUsedStep);
        Assert.Equal(3, (await store.ListRecoveryCodesAsync(alice.Id, None)).Count);
        Assert.Single(await store.ListWebAuthnCredentialsAsync(alice.Id, None));

        await store.SetCredentialsAsync(alice.Id, new CredentialSet(null, Totp(alice.Id, 9), RecoveryCodes(alice.Id, 1), RemoveWebAuthn: true), None);
        var totp = (await store.GetTotpAsync(alice.Id, None))!;
        Assert.Equal([9, 2, 3], totp.Secret.WrappedKey);
        Assert.Equal(0, totp.LastUsedStep);
        Assert.Single(await store.ListRecoveryCodesAsync(alice.Id, None));
        Assert.Empty(await store.ListWebAuthnCredentialsAsync(alice.Id, None));
        Assert.Equal(password, await store.GetPasswordAsync(alice.Id, None));
    }

    [Fact]
    public async Task A_webauthn_credential_is_registered_once_and_its_counter_moves_by_compare_and_set()
    {
        var store = await MigratedAsync();
        var alice = await CreatedAsync(store, Person("alice"));
        var bob = await CreatedAsync(store, Person("bob"));
        var key = WebAuthn(alice.Id, 1, count: uint.MaxValue - 1);
        Assert.True(await store.TryAddWebAuthnCredentialAsync(key, None));
        Assert.False(await store.TryAddWebAuthnCredentialAsync(WebAuthn(bob.Id, 1), None)); // same credential id
        Assert.True(await store.TryAddWebAuthnCredentialAsync(WebAuthn(alice.Id, 2) with { CreatedAt = T0.AddMinutes(1) }, None));

        var read = (await store.GetWebAuthnCredentialAsync([1, 0xFE, 0x00, 0x7F], None))!;
        Assert.Equal(key.CredentialId, read.CredentialId);
        Assert.Equal(key.PublicKey, read.PublicKey);
        Assert.Equal((key.UserId, key.SignCount, key.Aaguid, key.Name, key.CreatedAt, key.LastUsedAt),
            (read.UserId, read.SignCount, read.Aaguid, read.Name, read.CreatedAt, read.LastUsedAt));
        Assert.Equal(["key 1", "key 2"], (await store.ListWebAuthnCredentialsAsync(alice.Id, None)).Select(c => c.Name));
        Assert.Empty(await store.ListWebAuthnCredentialsAsync(bob.Id, None));

        Assert.True(await store.TryUpdateWebAuthnCounterAsync(key.CredentialId, uint.MaxValue - 1, uint.MaxValue, T0.AddHours(1), None));
        Assert.False(await store.TryUpdateWebAuthnCounterAsync(key.CredentialId, uint.MaxValue - 1, uint.MaxValue, T0.AddHours(1), None));
        read = (await store.GetWebAuthnCredentialAsync(key.CredentialId, None))!;
        Assert.Equal((uint.MaxValue, T0.AddHours(1)), (read.SignCount, read.LastUsedAt));

        Assert.False(await store.DeleteWebAuthnCredentialAsync(bob.Id, key.CredentialId, None)); // not bob's
        Assert.True(await store.DeleteWebAuthnCredentialAsync(alice.Id, key.CredentialId, None));
        Assert.Null(await store.GetWebAuthnCredentialAsync(key.CredentialId, None));
    }

    [Fact]
    public async Task Concurrent_assertions_with_one_counter_value_succeed_once()
    {
        var a = await MigratedAsync();
        var b = Track(SameDatabase());
        var alice = await CreatedAsync(a, Person("alice"));
        var key = WebAuthn(alice.Id, 3, count: 10);
        await a.TryAddWebAuthnCredentialAsync(key, None);
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            Task.Run(() => (i % 2 == 0 ? a : b).TryUpdateWebAuthnCounterAsync(key.CredentialId, 10, (uint)(11 + i), T0, None))));
        Assert.Single(results, r => r);
    }

    [Fact]
    public async Task Credentials_for_an_unknown_identity_are_refused_by_the_schema()
    {
        var store = await MigratedAsync();
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => store.SetPasswordAsync(new PasswordCredential("nobody", "$h", T0), None));
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => store.CreateSessionAsync(Session("nobody", T0), None));
    }
}
