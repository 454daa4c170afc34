using Custos.Core.Credentials;
using Custos.Core.Crypto;

namespace Custos.Storage.Tests;

/// <summary>The SSH node enrolment and CA rotation storage contracts, run on SQLite and on PostgreSQL.</summary>
public abstract partial class StoreContract
{
    private static SshNodeEnrollment Enrollment(string node, string key = "ssh-ed25519 AAAAhost") =>
        new(node, key, "SHA256:" + key.Length, T0, null, null, null);

    [Fact]
    public async Task SshNode_a_join_token_is_redeemed_once_for_its_node_and_stores_the_enrollment()
    {
        var store = await MigratedAsync();
        var token = new SshNodeJoinToken("hash-1", "node-a", "admin", T0, T0.AddHours(1), null);
        await store.AddSshNodeJoinTokenAsync(token, None);
        Assert.Equal(token, await store.GetSshNodeJoinTokenAsync("hash-1", None));
        Assert.Null(await store.GetSshNodeJoinTokenAsync("hash-2", None));

        // Not for another node, not after it expired.
        Assert.False(await store.TryRedeemSshNodeJoinTokenAsync("hash-1", T0.AddMinutes(1), Enrollment("node-b"), None));
        Assert.False(await store.TryRedeemSshNodeJoinTokenAsync("hash-1", T0.AddHours(2), Enrollment("node-a"), None));
        Assert.Null(await store.GetSshNodeAsync("node-b", None));

        Assert.True(await store.TryRedeemSshNodeJoinTokenAsync("hash-1", T0.AddMinutes(1), Enrollment("node-a"), None));
        Assert.Equal(Enrollment("node-a"), await store.GetSshNodeAsync("node-a", None));
        Assert.Equal(T0.AddMinutes(1), (await store.GetSshNodeJoinTokenAsync("hash-1", None))!.UsedAt);
        // Used: a second redemption (a replayed join) changes nothing.
        Assert.False(await store.TryRedeemSshNodeJoinTokenAsync("hash-1", T0.AddMinutes(2), Enrollment("node-a", "ssh-ed25519 AAAAother"), None));
        Assert.Equal(Enrollment("node-a"), await store.GetSshNodeAsync("node-a", None));
    }

    [Fact]
    public async Task SshNode_a_new_token_re_enrols_the_node_with_its_new_host_key_and_syncs_are_recorded()
    {
        var store = await MigratedAsync();
        await store.AddSshNodeJoinTokenAsync(new SshNodeJoinToken("h1", "node-a", "admin", T0, T0.AddHours(1), null), None);
        await store.AddSshNodeJoinTokenAsync(new SshNodeJoinToken("h2", "node-a", "admin", T0, T0.AddHours(1), null), None);
        Assert.True(await store.TryRedeemSshNodeJoinTokenAsync("h1", T0, Enrollment("node-a"), None));
        await store.RecordSshNodeSyncAsync("node-a", T0.AddMinutes(5), "42", T0.AddDays(7), None);
        Assert.Equal(Enrollment("node-a") with { LastSyncAt = T0.AddMinutes(5), HostCertificateSerial = "42", HostCertificateValidBefore = T0.AddDays(7) },
            await store.GetSshNodeAsync("node-a", None));

        Assert.True(await store.TryRedeemSshNodeJoinTokenAsync("h2", T0.AddMinutes(10), Enrollment("node-a", "ssh-ed25519 AAAAnew") with { EnrolledAt = T0.AddMinutes(10) }, None));
        Assert.Equal([Enrollment("node-a", "ssh-ed25519 AAAAnew") with { EnrolledAt = T0.AddMinutes(10) }], await store.ListSshNodesAsync(None));

        Assert.Equal(2, await store.PruneSshNodeJoinTokensAsync(T0.AddHours(2), None));
        Assert.Null(await store.GetSshNodeJoinTokenAsync("h1", None));
    }

    [Fact]
    public async Task SshCaRotation_steps_move_keys_and_the_phase_together_and_a_stale_step_writes_nothing()
    {
        var store = await MigratedAsync();
        Assert.True(await store.TryAddSshCaKeyAsync(CaKey("user-old", SshCaType.User), Sealed(1), None));
        Assert.Empty(await store.ListSshCaRotationsAsync(None));

        var standby = SshCaRotation.NeverRotated(SshCaType.User);
        var init = new SshCaRotation(SshCaType.User, SshCaPhase.Init, "manual", T0, TimeSpan.FromHours(1), T0, 1);
        var newKey = CaKey("user-new", SshCaType.User, SshCaKeyState.Next);
        Assert.True(await store.TryApplySshCaRotationStepAsync(new SshCaRotationStep(standby, init, [], newKey, Sealed(2), T0), None));
        Assert.Equal([init], await store.ListSshCaRotationsAsync(None));
        Assert.NotNull(await store.GetSecretAsync(SshCaNames.SecretName("user-new"), None));
        // Another instance also saw version 0: its step is refused and adds no key.
        Assert.False(await store.TryApplySshCaRotationStepAsync(new SshCaRotationStep(standby, init, [], CaKey("user-other", SshCaType.User, SshCaKeyState.Next), Sealed(3), T0), None));
        Assert.Null(await store.GetSecretAsync(SshCaNames.SecretName("user-other"), None));

        // update_clients: the new key signs, the old one is still trusted; the one-active-key index holds throughout.
        var clients = init with { Phase = SshCaPhase.UpdateClients, PhaseChangedAt = T0.AddMinutes(20), Version = 2 };
        Assert.True(await store.TryApplySshCaRotationStepAsync(new SshCaRotationStep(init, clients,
            [new("user-new", SshCaKeyState.Next, SshCaKeyState.Active), new("user-old", SshCaKeyState.Active, SshCaKeyState.Previous)], null, null, T0.AddMinutes(20)), None));
        var states = (await store.ListSshCaKeysAsync(None)).ToDictionary(k => k.Id, k => k.State);
        Assert.Equal(SshCaKeyState.Active, states["user-new"]);
        Assert.Equal(SshCaKeyState.Previous, states["user-old"]);

        // A key change that no longer applies (the key is not in the expected state) rolls the whole step back.
        var stale = clients with { Phase = SshCaPhase.UpdateServers, Version = 3 };
        Assert.False(await store.TryApplySshCaRotationStepAsync(new SshCaRotationStep(clients, stale,
            [new("user-old", SshCaKeyState.Active, SshCaKeyState.Retired)], null, null, T0.AddMinutes(30)), None));
        Assert.Equal([clients], await store.ListSshCaRotationsAsync(None));
        Assert.Equal(SshCaKeyState.Previous, (await store.ListSshCaKeysAsync(None)).Single(k => k.Id == "user-old").State);
    }
}
