using Custos.Core.Bootstrap;
using Custos.Core.Crypto;
using Custos.Core.Identity;
using Custos.Core.Installation;
using Microsoft.Extensions.Time.Testing;

namespace Custos.Storage.Tests;

/// <summary>The identity storage contract (<see cref="IIdentityStore"/>), run on SQLite and on PostgreSQL.</summary>
public abstract partial class StoreContract
{
    // Microsecond precision on purpose: what both engines keep.
    private static readonly DateTimeOffset T0 = new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero).AddTicks(1_234_560);

    private static readonly CancellationToken None = CancellationToken.None;

    private static IdentityRecord Person(string name, params string[] roles) =>
        new(SecretToken.NewId(), name, name.ToLowerInvariant(), null, null, IdentityKind.User, IdentityStatus.Active, roles,
            new Dictionary<string, IReadOnlyList<string>>(), T0, null, 1);

    private static IdentityRecord Admin(string name) => Person(name, BuiltInRoles.Admin, BuiltInRoles.User);

    private static SessionRecord Session(string userId, DateTimeOffset created, SessionKind kind = SessionKind.Login) =>
        new(SecretToken.NewId(), userId, SecretToken.Hash(SecretToken.NewSessionToken()), kind, created, created.AddHours(8), null, "10.0.0.7", "curl/8", null, null);

    private static InvitationRecord Invitation(string userId, InvitationPurpose purpose, DateTimeOffset created) =>
        new(SecretToken.NewId(), userId, purpose, SecretToken.Hash(SecretToken.NewSecret()), "admin-id", created, created.AddHours(1), null);

    private static TotpCredential Totp(string userId, byte seed = 1) =>
        new(userId, new SealedSecret([seed, 2, 3], [4, 5, 6, seed]), false, 0, T0);

    private static RecoveryCodeRecord[] RecoveryCodes(string userId, int count = 3) =>
        [.. Enumerable.Range(0, count).Select(i => new RecoveryCodeRecord(userId, "rc" + i, SecretToken.Hash("code" + i), T0, null))];

    private static WebAuthnCredentialRecord WebAuthn(string userId, byte id, uint count = 5) =>
        new([id, 0xFE, 0x00, 0x7F], userId, [9, 8, 7], count, Guid.Parse("6028b017-b1d4-4c02-b4b3-afcdafc96bb2"), "key " + id, T0, null);

    private static BotCredentialRecord BotCredential(string userId, long generation) =>
        new(userId, generation, SecretToken.Hash("secret" + generation), T0.AddHours(generation), T0.AddHours(generation + 1), TimeSpan.FromMinutes(90));

    private static async Task<IdentityRecord> CreatedAsync(RelationalStore store, IdentityRecord identity)
    {
        Assert.True(await store.TryCreateIdentityAsync(identity, None));
        return identity;
    }

    private static void AssertSameIdentity(IdentityRecord expected, IdentityRecord? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.NameKey, actual.NameKey);
        Assert.Equal(expected.DisplayName, actual.DisplayName);
        Assert.Equal(expected.Email, actual.Email);
        Assert.Equal(expected.Kind, actual.Kind);
        Assert.Equal(expected.Status, actual.Status);
        Assert.Equal(expected.Roles.Distinct().Order(StringComparer.Ordinal), actual.Roles);
        Assert.Equal(expected.Traits.Keys.Order(StringComparer.Ordinal), actual.Traits.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, values) in expected.Traits) Assert.Equal(values, actual.Traits[key]);
        Assert.Equal(expected.CreatedAt, actual.CreatedAt);
        Assert.Equal(expected.LastLoginAt, actual.LastLoginAt);
        Assert.Equal(expected.Revision, actual.Revision);
    }

    [Fact]
    public async Task The_schema_is_at_the_newest_known_version()
    {
        var store = await MigratedAsync();
        Assert.Equal(2, store.KnownSchemaVersion);
        Assert.Equal(store.KnownSchemaVersion, await store.ReadSchemaVersionAsync(None));
    }

    [Fact]
    public async Task An_identity_round_trips_with_roles_in_ordinal_order_and_traits()
    {
        var store = await MigratedAsync();
        var alice = Person("Alice", "user", "admin", "user", "Zeta") with
        {
            DisplayName = "Alice Liddell",
            Email = "alice@example.org",
            Traits = new Dictionary<string, IReadOnlyList<string>> { ["team"] = ["red", "blue"], ["Zone"] = ["eu-1"], ["ü'\"{"] = [] },
            LastLoginAt = T0.AddMinutes(3),
        };
        var bot = Person("deploy-bot") with { Kind = IdentityKind.Bot };
        await CreatedAsync(store, alice);
        await CreatedAsync(store, bot);
        AssertSameIdentity(alice, await store.GetIdentityAsync(alice.Id, None));
        AssertSameIdentity(alice, await store.GetIdentityByNameAsync("alice", None));
        Assert.Equal(["Zeta", "admin", "user"], (await store.GetIdentityAsync(alice.Id, None))!.Roles);
        Assert.Null(await store.GetIdentityAsync("missing", None));
        Assert.Null(await store.GetIdentityByNameAsync("Alice", None)); // looked up by the key, not the name

        var all = await store.ListIdentitiesAsync(null, None);
        Assert.Equal(["alice", "deploy-bot"], all.Select(i => i.NameKey));
        AssertSameIdentity(alice, all[0]);
        var bots = await store.ListIdentitiesAsync(IdentityKind.Bot, None);
        AssertSameIdentity(bot, Assert.Single(bots));
        Assert.Empty(await store.ListIdentitiesAsync(IdentityKind.Agent, None));

        await store.SetLastLoginAsync(bot.Id, T0.AddDays(1), None);
        var loggedIn = await store.GetIdentityAsync(bot.Id, None);
        Assert.Equal(T0.AddDays(1), loggedIn!.LastLoginAt);
        Assert.Equal(1, loggedIn.Revision); // a login is not an administrative change
    }

    [Fact]
    public async Task Name_keys_are_unique_so_names_differing_only_in_case_collide()
    {
        var store = await MigratedAsync();
        var alice = await CreatedAsync(store, Person("Alice"));
        Assert.False(await store.TryCreateIdentityAsync(Person("ALICE"), None));
        var other = Person("aLiCe");
        Assert.False(await store.TryCreateIdentityWithInvitationAsync(other, Invitation(other.Id, InvitationPurpose.Invite, T0), None));
        Assert.Null(await store.GetIdentityAsync(other.Id, None));
        Assert.Equal(alice.Id, (await store.GetIdentityByNameAsync("alice", None))!.Id);
        Assert.Single(await store.ListIdentitiesAsync(null, None));
        // Parameters, not concatenation.
        Assert.True(await store.TryCreateIdentityAsync(Person("o'brien; DROP TABLE identities; --"), None));
        Assert.Equal(2, (await store.ListIdentitiesAsync(null, None)).Count);
    }

    [Fact]
    public async Task An_identity_created_with_an_invitation_gets_both_or_neither()
    {
        var store = await MigratedAsync();
        var bob = Person("bob");
        var invitation = Invitation(bob.Id, InvitationPurpose.Invite, T0);
        Assert.True(await store.TryCreateIdentityWithInvitationAsync(bob, invitation, None));
        var stored = await store.GetInvitationAsync(invitation.Id, None);
        Assert.NotNull(stored);
        Assert.Equal(invitation.TokenHash, stored.TokenHash);
        Assert.Equal((invitation.UserId, invitation.Purpose, invitation.CreatedBy, invitation.CreatedAt, invitation.ExpiresAt, invitation.UsedAt),
            (stored.UserId, stored.Purpose, stored.CreatedBy, stored.CreatedAt, stored.ExpiresAt, stored.UsedAt));
    }

    [Fact]
    public async Task An_update_needs_the_current_revision_and_bumps_it()
    {
        var store = await MigratedAsync();
        var alice = await CreatedAsync(store, Person("alice", "user"));
        await CreatedAsync(store, Person("bob"));
        var changed = alice with
        {
            DisplayName = "A",
            Email = "a@example.org",
            Roles = ["user", "auditor"],
            Traits = new Dictionary<string, IReadOnlyList<string>> { ["k"] = ["v"] },
        };
        Assert.Equal(IdentityUpdateResult.Updated, await store.UpdateIdentityAsync(changed, 1, T0, None));
        AssertSameIdentity(changed with { Revision = 2 }, await store.GetIdentityAsync(alice.Id, None));
        Assert.Equal(IdentityUpdateResult.Stale, await store.UpdateIdentityAsync(changed with { Email = null }, 1, T0, None));
        Assert.Equal("a@example.org", (await store.GetIdentityAsync(alice.Id, None))!.Email);
        Assert.Equal(IdentityUpdateResult.NotFound, await store.UpdateIdentityAsync(Person("nobody"), 1, T0, None));
        Assert.Equal(IdentityUpdateResult.NameTaken, await store.UpdateIdentityAsync(changed with { Name = "BOB", NameKey = "bob" }, 2, T0, None));
        Assert.Equal(IdentityUpdateResult.Updated, await store.UpdateIdentityAsync(changed with { Name = "Alicia", NameKey = "alicia" }, 2, T0, None));
        Assert.Null(await store.GetIdentityByNameAsync("alice", None));
        Assert.Equal(3, (await store.GetIdentityByNameAsync("alicia", None))!.Revision);
    }

    [Fact]
    public async Task The_last_active_administrator_cannot_be_suspended_demoted_or_deleted()
    {
        var store = await MigratedAsync();
        var root = await CreatedAsync(store, Admin("root"));
        var user = await CreatedAsync(store, Person("user", "user"));
        Assert.Equal(1, await store.CountActiveAdministratorsAsync(None));
        Assert.Equal(IdentityUpdateResult.LastAdministrator, await store.UpdateIdentityAsync(root with { Status = IdentityStatus.Suspended }, 1, T0, None));
        Assert.Equal(IdentityUpdateResult.LastAdministrator, await store.UpdateIdentityAsync(root with { Status = IdentityStatus.Disabled }, 1, T0, None));
        Assert.Equal(IdentityUpdateResult.LastAdministrator, await store.UpdateIdentityAsync(root with { Roles = ["user"] }, 1, T0, None));
        Assert.Equal(IdentityUpdateResult.LastAdministrator, await store.DeleteIdentityAsync(root.Id, None));
        Assert.Equal(IdentityUpdateResult.Updated, await store.UpdateIdentityAsync(root with { DisplayName = "Root" }, 1, T0, None));
        Assert.Equal(IdentityStatus.Active, (await store.GetIdentityAsync(root.Id, None))!.Status);

        // Others can be changed freely; with a second administrator, the first may go.
        Assert.Equal(IdentityUpdateResult.Updated, await store.UpdateIdentityAsync(user with { Status = IdentityStatus.Suspended }, 1, T0, None));
        Assert.Equal(IdentityUpdateResult.Updated, await store.UpdateIdentityAsync(user with { Roles = ["admin"], Status = IdentityStatus.Suspended }, 2, T0, None));
        Assert.Equal(1, await store.CountActiveAdministratorsAsync(None)); // a suspended admin does not count
        Assert.Equal(IdentityUpdateResult.Updated, await store.UpdateIdentityAsync(user with { Roles = ["admin"], Status = IdentityStatus.Active }, 3, T0, None));
        Assert.Equal(2, await store.CountActiveAdministratorsAsync(None));
        Assert.Equal(IdentityUpdateResult.Updated, await store.DeleteIdentityAsync(root.Id, None));
        Assert.Equal(IdentityUpdateResult.NotFound, await store.DeleteIdentityAsync(root.Id, None));
        Assert.Equal(IdentityUpdateResult.LastAdministrator, await store.DeleteIdentityAsync(user.Id, None));
    }

    [Fact]
    public async Task Two_administrators_suspending_each_other_at_once_leave_one_active()
    {
        var a = await MigratedAsync();
        var b = Track(SameDatabase());
        var first = await CreatedAsync(a, Admin("first"));
        var second = await CreatedAsync(a, Admin("second"));
        for (var round = 0; round < 5; round++)
        {
            var one = await a.GetIdentityAsync(first.Id, None);
            var two = await a.GetIdentityAsync(second.Id, None);
            using var start = new Barrier(2);
            var results = await Task.WhenAll(
                Task.Run(() => { start.SignalAndWait(); return a.UpdateIdentityAsync(two! with { Status = IdentityStatus.Suspended }, two.Revision, T0, None); }),
                Task.Run(() => { start.SignalAndWait(); return b.UpdateIdentityAsync(one! with { Status = IdentityStatus.Suspended }, one.Revision, T0, None); }));
            Assert.Single(results, r => r == IdentityUpdateResult.Updated);
            Assert.Single(results, r => r == IdentityUpdateResult.LastAdministrator);
            Assert.Equal(1, await a.CountActiveAdministratorsAsync(None));
            // Resume whichever was suspended for the next round.
            var suspended = results[0] == IdentityUpdateResult.Updated ? second.Id : first.Id;
            var current = (await a.GetIdentityAsync(suspended, None))!;
            Assert.Equal(IdentityUpdateResult.Updated, await a.UpdateIdentityAsync(current with { Status = IdentityStatus.Active }, current.Revision, T0, None));
        }
    }

    [Fact]
    public async Task Suspending_or_disabling_revokes_every_session_of_the_identity_at_once()
    {
        var store = await MigratedAsync();
        await CreatedAsync(store, Admin("root"));
        var alice = await CreatedAsync(store, Person("alice", "user"));
        var bob = await CreatedAsync(store, Person("bob", "user"));
        var s1 = Session(alice.Id, T0);
        var s2 = Session(alice.Id, T0.AddMinutes(1));
        var other = Session(bob.Id, T0);
        foreach (var s in new[] { s1, s2, other }) await store.CreateSessionAsync(s, None);
        var at = T0.AddMinutes(5);
        Assert.Equal(IdentityUpdateResult.Updated, await store.UpdateIdentityAsync(alice with { Status = IdentityStatus.Suspended }, 1, at, None));
        foreach (var s in new[] { s1, s2 })
        {
            var stored = (await store.GetSessionAsync(s.Id, None))!;
            Assert.Equal(at, stored.RevokedAt);
            Assert.Equal("identity suspended", stored.RevokedReason);
        }
        Assert.Null((await store.GetSessionAsync(other.Id, None))!.RevokedAt);
        Assert.Equal(new[] { s1.Id, s2.Id }.Order(StringComparer.Ordinal), (await store.ListSessionsRevokedSinceAsync(at, None)).Order(StringComparer.Ordinal));

        await store.CreateSessionAsync(Session(bob.Id, T0.AddMinutes(6)), None);
        Assert.Equal(IdentityUpdateResult.Updated, await store.UpdateIdentityAsync(bob with { Status = IdentityStatus.Disabled }, 1, T0.AddMinutes(7), None));
        Assert.All(await store.ListSessionsAsync(bob.Id, includeEnded: true, T0, None), s => Assert.Equal("identity disabled", s.RevokedReason));
        Assert.Empty(await store.ListSessionsAsync(bob.Id, includeEnded: false, T0, None));
    }

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

    [Fact]
    public async Task Deleting_an_identity_removes_its_credentials_sessions_invitations_and_bot_credentials()
    {
        var store = await MigratedAsync();
        var bot = Person("ci", "user") with { Kind = IdentityKind.Bot };
        var join = Invitation(bot.Id, InvitationPurpose.BotJoin, T0);
        Assert.True(await store.TryCreateIdentityWithInvitationAsync(bot, join, None));
        var session = Session(bot.Id, T0, SessionKind.Bot);
        Assert.True(await store.TryJoinBotAsync(join.Id, BotCredential(bot.Id, 1), session, T0, None));
        await store.SetCredentialsAsync(bot.Id, new CredentialSet(new PasswordCredential(bot.Id, "$h", T0), Totp(bot.Id), RecoveryCodes(bot.Id)), None);
        await store.TryAddWebAuthnCredentialAsync(WebAuthn(bot.Id, 7), None);
        var reset = Invitation(bot.Id, InvitationPurpose.PasswordReset, T0);
        await store.CreateInvitationAsync(reset, None);
        await store.RecordKnownSourceAsync(bot.Id, "10.0.0.9", T0, None);
        var keeper = await CreatedAsync(store, Person("keeper"));
        await store.SetPasswordAsync(new PasswordCredential(keeper.Id, "$k", T0), None);

        Assert.Equal(IdentityUpdateResult.Updated, await store.DeleteIdentityAsync(bot.Id, None));
        Assert.Null(await store.GetIdentityAsync(bot.Id, None));
        Assert.Null(await store.GetPasswordAsync(bot.Id, None));
        Assert.Null(await store.GetTotpAsync(bot.Id, None));
        Assert.Empty(await store.ListRecoveryCodesAsync(bot.Id, None));
        Assert.Null(await store.GetWebAuthnCredentialAsync(WebAuthn(bot.Id, 7).CredentialId, None));
        Assert.Null(await store.GetSessionAsync(session.Id, None));
        Assert.Null(await store.GetInvitationAsync(join.Id, None));
        Assert.Null(await store.GetInvitationAsync(reset.Id, None));
        Assert.Null(await store.GetBotCredentialAsync(bot.Id, 1, None));
        Assert.Null(await store.GetKnownSourceAsync(bot.Id, "10.0.0.9", None));
        Assert.NotNull(await store.GetPasswordAsync(keeper.Id, None));
        // The name is free again.
        Assert.True(await store.TryCreateIdentityAsync(Person("CI"), None));
    }

    [Fact]
    public async Task Credentials_for_an_unknown_identity_are_refused_by_the_schema()
    {
        var store = await MigratedAsync();
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => store.SetPasswordAsync(new PasswordCredential("nobody", "$h", T0), None));
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => store.CreateSessionAsync(Session("nobody", T0), None));
    }

    private static async Task<(string TokenId, CredentialSet Credentials)> BootstrapTokenAsync(RelationalStore store, IdentityRecord admin, FakeTimeProvider time)
    {
        var (_, record) = BootstrapToken.Issue(time, TimeSpan.FromHours(1));
        await store.ReplaceBootstrapTokenAsync(record, None);
        return (record.Id, new CredentialSet(new PasswordCredential(admin.Id, "$argon2id$admin", T0), Totp(admin.Id), RecoveryCodes(admin.Id)));
    }

    [Fact]
    public async Task Bootstrap_creates_the_first_administrator_once()
    {
        var store = await MigratedAsync();
        var time = new FakeTimeProvider(T0);
        var admin = Admin("root");
        var (tokenId, credentials) = await BootstrapTokenAsync(store, admin, time);
        Assert.Equal(BootstrapResult.TokenInvalid, await store.BootstrapAsync("unknown", admin, credentials, T0, None));
        Assert.Equal(BootstrapResult.TokenInvalid, await store.BootstrapAsync(tokenId, admin, credentials, T0.AddHours(2), None)); // expired
        Assert.Equal(BootstrapResult.Created, await store.BootstrapAsync(tokenId, admin, credentials, T0.AddMinutes(1), None));

        AssertSameIdentity(admin, await store.GetIdentityAsync(admin.Id, None));
        Assert.Equal("$argon2id$admin", (await store.GetPasswordAsync(admin.Id, None))!.Hash);
        Assert.NotNull(await store.GetTotpAsync(admin.Id, None));
        Assert.Equal(3, (await store.ListRecoveryCodesAsync(admin.Id, None)).Count);
        Assert.Equal(1, await store.CountActiveAdministratorsAsync(None));
        Assert.Equal("2026-11-30T09:01:00.123456Z", await store.GetSettingAsync(SettingKeys.BootstrapCompletedAt, None));
        Assert.NotNull(Assert.Single(await store.ListBootstrapTokensAsync(None)).UsedAt);

        var second = Admin("second");
        var (secondToken, secondCredentials) = await BootstrapTokenAsync(store, second, time);
        Assert.Equal(BootstrapResult.AlreadyBootstrapped, await store.BootstrapAsync(secondToken, second, secondCredentials, T0.AddMinutes(2), None));
        Assert.Null(await store.GetIdentityAsync(second.Id, None));
        Assert.Null((await store.ListBootstrapTokensAsync(None)).Single(t => t.Id == secondToken).UsedAt);
    }

    [Fact]
    public async Task Bootstrap_is_refused_once_completed_even_if_the_administrator_is_gone()
    {
        var store = await MigratedAsync();
        var time = new FakeTimeProvider(T0);
        await store.SetSettingAsync(SettingKeys.BootstrapCompletedAt, "2026-01-01T00:00:00.000000Z", None);
        var admin = Admin("root");
        var (tokenId, credentials) = await BootstrapTokenAsync(store, admin, time);
        Assert.Equal(BootstrapResult.AlreadyBootstrapped, await store.BootstrapAsync(tokenId, admin, credentials, T0, None));
        Assert.Empty(await store.ListIdentitiesAsync(null, None));
    }

    [Fact]
    public async Task A_used_bootstrap_token_is_invalid()
    {
        var store = await MigratedAsync();
        var admin = Admin("root");
        var (tokenId, credentials) = await BootstrapTokenAsync(store, admin, new FakeTimeProvider(T0));
        Assert.True(await store.TryConsumeBootstrapTokenAsync(tokenId, T0, None));
        Assert.Equal(BootstrapResult.TokenInvalid, await store.BootstrapAsync(tokenId, admin, credentials, T0, None));
        Assert.Null(await store.GetIdentityAsync(admin.Id, None));
        Assert.Null(await store.GetSettingAsync(SettingKeys.BootstrapCompletedAt, None));
    }

    [Fact]
    public async Task A_failed_bootstrap_leaves_no_user_and_the_token_unused()
    {
        var store = await MigratedAsync();
        var time = new FakeTimeProvider(T0);
        await CreatedAsync(store, Person("root", "user"));
        var admin = Admin("ROOT");
        var (tokenId, credentials) = await BootstrapTokenAsync(store, admin, time);
        Assert.Equal(BootstrapResult.NameTaken, await store.BootstrapAsync(tokenId, admin, credentials, T0, None));
        Assert.Null(await store.GetIdentityAsync(admin.Id, None));
        Assert.Null(Assert.Single(await store.ListBootstrapTokensAsync(None)).UsedAt);

        // A failure half-way (two recovery codes with one id) rolls everything back.
        var other = Admin("other");
        var broken = credentials with { RecoveryCodes = [.. RecoveryCodes(other.Id), .. RecoveryCodes(other.Id)] };
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => store.BootstrapAsync(tokenId, other, broken, T0, None));
        Assert.Null(await store.GetIdentityAsync(other.Id, None));
        Assert.Null(await store.GetPasswordAsync(other.Id, None));
        Assert.Null(Assert.Single(await store.ListBootstrapTokensAsync(None)).UsedAt);
        Assert.Null(await store.GetSettingAsync(SettingKeys.BootstrapCompletedAt, None));
        Assert.Equal(0, await store.CountActiveAdministratorsAsync(None));

        Assert.Equal(BootstrapResult.Created, await store.BootstrapAsync(tokenId, other, credentials, T0, None));
    }
}
