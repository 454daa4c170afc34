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
        Assert.Equal(7, store.KnownSchemaVersion);
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
    public async Task Two_instances_bootstrapping_at_once_create_one_administrator()
    {
        var a = await MigratedAsync();
        var b = Track(SameDatabase());
        var first = Admin("first");
        var second = Admin("second");
        var (tokenId, credentials) = await BootstrapTokenAsync(a, first, new FakeTimeProvider(T0));
        using var start = new Barrier(2);
        var results = await Task.WhenAll(
            Task.Run(() => { start.SignalAndWait(); return a.BootstrapAsync(tokenId, first, credentials, T0, None); }),
            Task.Run(() => { start.SignalAndWait(); return b.BootstrapAsync(tokenId, second, credentials, T0, None); }));
        Assert.Single(results, r => r == BootstrapResult.Created);
        Assert.Single(results, r => r == BootstrapResult.AlreadyBootstrapped);
        Assert.Single(await a.ListIdentitiesAsync(null, None));
        Assert.Equal(1, await a.CountActiveAdministratorsAsync(None));
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
