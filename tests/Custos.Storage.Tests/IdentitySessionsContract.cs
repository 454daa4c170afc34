using Custos.Core.Identity;

namespace Custos.Storage.Tests;

/// <summary>Sessions, invitations, bot credentials, throttling and known sources of the identity storage contract.</summary>
public abstract partial class StoreContract
{
    [Fact]
    public async Task Sessions_round_trip_list_newest_first_and_revoke_once()
    {
        var store = await MigratedAsync();
        var alice = await CreatedAsync(store, Person("alice"));
        var bob = await CreatedAsync(store, Person("bob"));
        var old = Session(alice.Id, T0.AddHours(-10)); // expired at T0
        var current = Session(alice.Id, T0) with { MfaAt = T0, SourceIp = null, UserAgent = null };
        var newest = Session(alice.Id, T0.AddMinutes(2), SessionKind.Bot);
        var bobs = Session(bob.Id, T0.AddMinutes(1));
        foreach (var s in new[] { old, current, newest, bobs }) await store.CreateSessionAsync(s, None);

        var read = (await store.GetSessionByTokenHashAsync(current.TokenHash, None))!;
        Assert.Equal(current with { TokenHash = read.TokenHash }, read);
        Assert.Equal(current.TokenHash, read.TokenHash);
        var readNewest = (await store.GetSessionAsync(newest.Id, None))!;
        Assert.Equal(newest with { TokenHash = readNewest.TokenHash }, readNewest);
        Assert.Null(await store.GetSessionByTokenHashAsync(new byte[32], None));

        Assert.Equal([newest.Id, current.Id], (await store.ListSessionsAsync(alice.Id, false, T0, None)).Select(s => s.Id));
        Assert.Equal([newest.Id, current.Id, old.Id], (await store.ListSessionsAsync(alice.Id, true, T0, None)).Select(s => s.Id));
        Assert.Equal([newest.Id, bobs.Id, current.Id], (await store.ListSessionsAsync(null, false, T0, None)).Select(s => s.Id));

        await store.SetSessionMfaAsync(newest.Id, T0.AddMinutes(3), None);
        Assert.Equal(T0.AddMinutes(3), (await store.GetSessionAsync(newest.Id, None))!.MfaAt);

        Assert.True(await store.RevokeSessionAsync(current.Id, T0.AddMinutes(4), "logout", None));
        Assert.False(await store.RevokeSessionAsync(current.Id, T0.AddMinutes(5), "again", None));
        Assert.False(await store.RevokeSessionAsync("missing", T0, "x", None));
        var revoked = (await store.GetSessionAsync(current.Id, None))!;
        Assert.Equal((T0.AddMinutes(4), "logout"), (revoked.RevokedAt, revoked.RevokedReason));
        Assert.False(revoked.IsValidAt(T0.AddMinutes(4)));
        Assert.Equal([current.Id], await store.ListSessionsRevokedSinceAsync(T0.AddMinutes(4), None));
        Assert.Empty(await store.ListSessionsRevokedSinceAsync(T0.AddMinutes(4).AddTicks(10), None));
        Assert.Equal([newest.Id], (await store.ListSessionsAsync(alice.Id, false, T0, None)).Select(s => s.Id));
    }

    [Fact]
    public async Task Revoking_a_users_sessions_can_spare_the_current_one_and_purge_removes_ended_ones()
    {
        var store = await MigratedAsync();
        var alice = await CreatedAsync(store, Person("alice"));
        var bob = await CreatedAsync(store, Person("bob"));
        var keep = Session(alice.Id, T0);
        var drop1 = Session(alice.Id, T0);
        var drop2 = Session(alice.Id, T0);
        var bobs = Session(bob.Id, T0);
        foreach (var s in new[] { keep, drop1, drop2, bobs }) await store.CreateSessionAsync(s, None);
        Assert.Equal(2, await store.RevokeUserSessionsAsync(alice.Id, T0.AddMinutes(1), "password changed", keep.Id, None));
        Assert.Equal(0, await store.RevokeUserSessionsAsync(alice.Id, T0.AddMinutes(2), "again", keep.Id, None));
        Assert.Null((await store.GetSessionAsync(keep.Id, None))!.RevokedAt);
        Assert.Equal("password changed", (await store.GetSessionAsync(drop1.Id, None))!.RevokedReason);
        Assert.Null((await store.GetSessionAsync(bobs.Id, None))!.RevokedAt);
        Assert.Equal(1, await store.RevokeUserSessionsAsync(alice.Id, T0.AddMinutes(3), "all", null, None));
        Assert.Equal(T0.AddMinutes(1), (await store.GetSessionAsync(drop1.Id, None))!.RevokedAt); // not revoked twice

        // Ended before T0+2min: the two revoked at +1min. keep (revoked at +3min) and bob's (expires at +8h) stay.
        Assert.Equal(2, await store.PurgeSessionsAsync(T0.AddMinutes(2), None));
        Assert.Null(await store.GetSessionAsync(drop1.Id, None));
        Assert.NotNull(await store.GetSessionAsync(keep.Id, None));
        Assert.Equal(2, await store.PurgeSessionsAsync(T0.AddHours(9), None));
        Assert.Empty(await store.ListSessionsAsync(null, true, T0, None));
    }

    [Fact]
    public async Task A_new_invitation_replaces_the_unused_one_of_the_same_purpose_and_each_is_used_once()
    {
        var store = await MigratedAsync();
        var alice = await CreatedAsync(store, Person("alice"));
        var first = Invitation(alice.Id, InvitationPurpose.PasswordReset, T0);
        var mfa = Invitation(alice.Id, InvitationPurpose.MfaReset, T0);
        await store.CreateInvitationAsync(first, None);
        await store.CreateInvitationAsync(mfa, None);
        var second = Invitation(alice.Id, InvitationPurpose.PasswordReset, T0.AddMinutes(1));
        await store.CreateInvitationAsync(second, None);

        var empty = new CredentialSet(null, null, null);
        Assert.False(await store.TryAcceptInvitationAsync(first.Id, T0.AddMinutes(2), empty, null, None)); // replaced
        Assert.Null(await store.GetInvitationAsync(first.Id, None));
        Assert.NotNull(await store.GetInvitationAsync(mfa.Id, None)); // another purpose is left alone
        Assert.False(await store.TryAcceptInvitationAsync(second.Id, second.ExpiresAt, empty, null, None)); // expired
        Assert.True(await store.TryAcceptInvitationAsync(second.Id, T0.AddMinutes(2), empty, null, None));
        Assert.False(await store.TryAcceptInvitationAsync(second.Id, T0.AddMinutes(3), empty, null, None)); // used
        Assert.Equal(T0.AddMinutes(2), (await store.GetInvitationAsync(second.Id, None))!.UsedAt);

        // A used invitation is history, not replaced by the next one.
        await store.CreateInvitationAsync(Invitation(alice.Id, InvitationPurpose.PasswordReset, T0.AddMinutes(5)), None);
        Assert.NotNull(await store.GetInvitationAsync(second.Id, None));
        Assert.True(await store.TryAcceptInvitationAsync(mfa.Id, T0.AddMinutes(2), empty, null, None));
        Assert.False(await store.TryAcceptInvitationAsync("missing", T0, empty, null, None));
    }

    [Fact]
    public async Task Accepting_an_invitation_applies_credentials_and_status_together_or_changes_nothing()
    {
        var store = await MigratedAsync();
        var alice = await CreatedAsync(store, Person("alice", "user") with { Status = IdentityStatus.Suspended });
        var invitation = Invitation(alice.Id, InvitationPurpose.Invite, T0);
        await store.CreateInvitationAsync(invitation, None);
        await store.TryAddWebAuthnCredentialAsync(WebAuthn(alice.Id, 4), None);
        var credentials = new CredentialSet(new PasswordCredential(alice.Id, "$argon2id$p", T0), Totp(alice.Id), RecoveryCodes(alice.Id), RemoveWebAuthn: true);

        // Expired: nothing changes.
        Assert.False(await store.TryAcceptInvitationAsync(invitation.Id, invitation.ExpiresAt.AddTicks(10), credentials, IdentityStatus.Active, None));
        Assert.Null(await store.GetPasswordAsync(alice.Id, None));
        Assert.Null(await store.GetTotpAsync(alice.Id, None));
        Assert.Single(await store.ListWebAuthnCredentialsAsync(alice.Id, None));
        Assert.Equal(IdentityStatus.Suspended, (await store.GetIdentityAsync(alice.Id, None))!.Status);

        Assert.True(await store.TryAcceptInvitationAsync(invitation.Id, T0.AddMinutes(1), credentials, IdentityStatus.Active, None));
        Assert.Equal("$argon2id$p", (await store.GetPasswordAsync(alice.Id, None))!.Hash);
        Assert.NotNull(await store.GetTotpAsync(alice.Id, None));
        Assert.Equal(3, (await store.ListRecoveryCodesAsync(alice.Id, None)).Count);
        Assert.Empty(await store.ListWebAuthnCredentialsAsync(alice.Id, None));
        var activated = (await store.GetIdentityAsync(alice.Id, None))!;
        Assert.Equal((IdentityStatus.Active, 2L), (activated.Status, activated.Revision));

        // Used: a second acceptance changes nothing.
        Assert.False(await store.TryAcceptInvitationAsync(invitation.Id, T0.AddMinutes(2),
            new CredentialSet(new PasswordCredential(alice.Id, "$argon2id$other", T0), null, null), IdentityStatus.Disabled, None));
        Assert.Equal("$argon2id$p", (await store.GetPasswordAsync(alice.Id, None))!.Hash);
        Assert.Equal(IdentityStatus.Active, (await store.GetIdentityAsync(alice.Id, None))!.Status);
    }

    [Fact]
    public async Task A_join_token_cannot_be_accepted_as_an_invitation()
    {
        var store = await MigratedAsync();
        var bot = await CreatedAsync(store, Person("ci") with { Kind = IdentityKind.Bot });
        var join = Invitation(bot.Id, InvitationPurpose.BotJoin, T0);
        await store.CreateInvitationAsync(join, None);
        Assert.False(await store.TryAcceptInvitationAsync(join.Id, T0.AddMinutes(1), new CredentialSet(null, null, null), IdentityStatus.Active, None));
        Assert.Null((await store.GetInvitationAsync(join.Id, None))!.UsedAt);
    }

    [Fact]
    public async Task A_bot_joins_once_and_renews_only_from_its_newest_generation()
    {
        var store = await MigratedAsync();
        var bot = Person("ci") with { Kind = IdentityKind.Bot };
        var join = Invitation(bot.Id, InvitationPurpose.BotJoin, T0);
        Assert.True(await store.TryCreateIdentityWithInvitationAsync(bot, join, None));
        Assert.Null(await store.GetLatestBotCredentialAsync(bot.Id, None));

        var session1 = Session(bot.Id, T0, SessionKind.Bot);
        Assert.False(await store.TryJoinBotAsync(join.Id, BotCredential(bot.Id, 1), session1, join.ExpiresAt, None)); // expired
        Assert.True(await store.TryJoinBotAsync(join.Id, BotCredential(bot.Id, 1), session1, T0.AddMinutes(1), None));
        Assert.False(await store.TryJoinBotAsync(join.Id, BotCredential(bot.Id, 1), Session(bot.Id, T0, SessionKind.Bot), T0.AddMinutes(2), None)); // used
        Assert.Equal(SessionKind.Bot, (await store.GetSessionAsync(session1.Id, None))!.Kind);
        var first = (await store.GetLatestBotCredentialAsync(bot.Id, None))!;
        var expected = BotCredential(bot.Id, 1);
        Assert.Equal(expected.SecretHash, first.SecretHash);
        Assert.Equal((expected.UserId, expected.Generation, expected.IssuedAt, expected.ExpiresAt, expected.Ttl),
            (first.UserId, first.Generation, first.IssuedAt, first.ExpiresAt, first.Ttl));

        Assert.True(await store.TryRenewBotCredentialAsync(BotCredential(bot.Id, 2), Session(bot.Id, T0, SessionKind.Bot), None));
        var lost = Session(bot.Id, T0, SessionKind.Bot);
        Assert.False(await store.TryRenewBotCredentialAsync(BotCredential(bot.Id, 2), lost, None)); // generation 1 is no longer newest
        Assert.Null(await store.GetSessionAsync(lost.Id, None)); // nothing of a lost renewal is stored
        Assert.False(await store.TryRenewBotCredentialAsync(BotCredential(bot.Id, 4), Session(bot.Id, T0, SessionKind.Bot), None)); // skips a generation
        Assert.Equal(2, (await store.GetLatestBotCredentialAsync(bot.Id, None))!.Generation);
        Assert.NotNull(await store.GetBotCredentialAsync(bot.Id, 1, None)); // superseded generations stay recognisable
        Assert.Null(await store.GetBotCredentialAsync(bot.Id, 3, None));

        // A new join token restarts the chain.
        var rejoin = Invitation(bot.Id, InvitationPurpose.BotJoin, T0.AddHours(1));
        await store.CreateInvitationAsync(rejoin, None);
        Assert.False(await store.TryJoinBotAsync(rejoin.Id, BotCredential("someone-else", 1), Session(bot.Id, T0, SessionKind.Bot), T0.AddHours(1), None));
        Assert.True(await store.TryJoinBotAsync(rejoin.Id, BotCredential(bot.Id, 1), Session(bot.Id, T0, SessionKind.Bot), T0.AddHours(1), None));
        Assert.Equal(1, (await store.GetLatestBotCredentialAsync(bot.Id, None))!.Generation);
        Assert.Null(await store.GetBotCredentialAsync(bot.Id, 2, None));
    }

    [Fact]
    public async Task Of_two_concurrent_renewals_of_one_generation_exactly_one_wins()
    {
        var a = await MigratedAsync();
        var b = Track(SameDatabase());
        var bot = Person("ci") with { Kind = IdentityKind.Bot };
        var join = Invitation(bot.Id, InvitationPurpose.BotJoin, T0);
        Assert.True(await a.TryCreateIdentityWithInvitationAsync(bot, join, None));
        Assert.True(await a.TryJoinBotAsync(join.Id, BotCredential(bot.Id, 1), Session(bot.Id, T0, SessionKind.Bot), T0, None));
        for (var generation = 2; generation < 7; generation++)
        {
            var sessions = new[] { Session(bot.Id, T0, SessionKind.Bot), Session(bot.Id, T0, SessionKind.Bot) };
            var renewed = new[] { BotCredential(bot.Id, generation) with { SecretHash = [1] }, BotCredential(bot.Id, generation) with { SecretHash = [2] } };
            using var start = new Barrier(2);
            var results = await Task.WhenAll(
                Task.Run(() => { start.SignalAndWait(); return a.TryRenewBotCredentialAsync(renewed[0], sessions[0], None); }),
                Task.Run(() => { start.SignalAndWait(); return b.TryRenewBotCredentialAsync(renewed[1], sessions[1], None); }));
            Assert.Single(results, r => r);
            var winner = Array.IndexOf(results, true);
            Assert.Equal(renewed[winner].SecretHash, (await a.GetLatestBotCredentialAsync(bot.Id, None))!.SecretHash);
            Assert.NotNull(await a.GetSessionAsync(sessions[winner].Id, None));
            Assert.Null(await a.GetSessionAsync(sessions[1 - winner].Id, None));
        }
    }

    [Fact]
    public async Task Throttle_records_are_upserted_and_cleared_by_key_or_key_prefix()
    {
        var store = await MigratedAsync();
        var keys = new[] { "user:alice", "user-ip:alice|10.0.0.1", "user-ip:alice|::1", "user-ip:alicex|10.0.0.1", "user-ip:alice", "ip:10.0.0.1", "user:a%_" };
        foreach (var key in keys) await store.PutThrottleAsync(new ThrottleRecord(key, 1, T0, null, 0, T0), None);
        var locked = new ThrottleRecord("user:alice", 5, T0.AddMinutes(1), T0.AddMinutes(16), 2, T0.AddMinutes(2));
        await store.PutThrottleAsync(locked, None);
        Assert.Equal(locked, await store.GetThrottleAsync("user:alice", None));
        Assert.Null(await store.GetThrottleAsync("user:bob", None));

        Assert.Equal(3, await store.ClearThrottleAsync("user-ip:alice", None));
        Assert.Null(await store.GetThrottleAsync("user-ip:alice|::1", None));
        Assert.NotNull(await store.GetThrottleAsync("user-ip:alicex|10.0.0.1", None));
        Assert.Equal(0, await store.ClearThrottleAsync("user:a", None)); // neither a LIKE pattern nor a bare prefix
        Assert.Equal(1, await store.ClearThrottleAsync("user:a%_", None));
        Assert.NotNull(await store.GetThrottleAsync("user:alice", None));
    }

    [Fact]
    public async Task Known_sources_remember_the_last_successful_login_per_address()
    {
        var store = await MigratedAsync();
        var alice = await CreatedAsync(store, Person("alice"));
        var bob = await CreatedAsync(store, Person("bob"));
        Assert.Null(await store.GetKnownSourceAsync(alice.Id, "10.0.0.1", None));
        await store.RecordKnownSourceAsync(alice.Id, "10.0.0.1", T0, None);
        await store.RecordKnownSourceAsync(alice.Id, "10.0.0.1", T0.AddDays(1), None);
        Assert.Equal(T0.AddDays(1), await store.GetKnownSourceAsync(alice.Id, "10.0.0.1", None));
        Assert.Null(await store.GetKnownSourceAsync(alice.Id, "10.0.0.2", None));
        Assert.Null(await store.GetKnownSourceAsync(bob.Id, "10.0.0.1", None));
    }
}
