using System.Net;
using System.Text.Json.Nodes;
using Custos.Server.Api.Identity;
using Custos.Server.Tests.Fixtures;

namespace Custos.Server.Tests.Identity;

/// <summary>
/// WebAuthn as a second factor over real HTTPS, with <see cref="SoftwareAuthenticator"/> playing browser and
/// security key: registration, password + assertion login, step-up, and the ways an assertion must be refused.
/// </summary>
public sealed class WebAuthnTests
{
    private static string Origin(IdentityScenario s) => "https://localhost:" + s.Server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static JsonObject Finish(string token, JsonObject response) => new() { ["challenge_token"] = token, ["response"] = response.DeepClone() };

    private static async Task<(IdentityApi Api, SoftwareAuthenticator Key)> UserWithKeyAsync(IdentityScenario s, string name)
    {
        var totp = await s.AddUserAsync(name);
        var api = await s.LoginAsync(name, totp);
        var key = new SoftwareAuthenticator();
        await RegisterAsync(s, api, key);
        return (api, key);
    }

    private static async Task<WebAuthnCredentialDto> RegisterAsync(IdentityScenario s, IdentityApi api, SoftwareAuthenticator key)
    {
        var begin = (await api.PostAsync("/v1/auth/webauthn/register/begin", new { name = "yubikey-5" })).Expect(HttpStatusCode.OK).Node;
        var response = key.MakeCredential(begin["options"]!, Origin(s));
        return (await api.PostAsync("/v1/auth/webauthn/register/finish", Finish(begin["challenge_token"]!.GetValue<string>(), response)))
            .Expect(HttpStatusCode.Created).As<WebAuthnCredentialDto>();
    }

    private static async Task<(string Token, JsonNode Options)> BeginLoginAsync(IdentityScenario s, string user)
    {
        using var anonymous = s.Server.Api();
        var begin = (await anonymous.PostAsync("/v1/auth/webauthn/login/begin", new { user, password = IdentityScenario.UserPassword })).Expect(HttpStatusCode.OK).Node;
        return (begin["challenge_token"]!.GetValue<string>(), begin["options"]!);
    }

    private static async Task<ApiResponse> FinishLoginAsync(IdentityScenario s, string token, JsonObject response)
    {
        using var anonymous = s.Server.Api();
        return await anonymous.PostAsync("/v1/auth/webauthn/login/finish", Finish(token, response));
    }

    private static async Task<int> SessionCountAsync(IdentityScenario s, string user) =>
        (await s.Admin.GetAsync("/v1/sessions?user=" + user)).Expect(HttpStatusCode.OK).As<SessionListResponse>().Sessions.Count;

    private static async Task<string> AuditAsync(IdentityScenario s, string type) =>
        (await s.Admin.GetAsync($"/v1/audit/events?type={type}&limit=1000")).Expect(HttpStatusCode.OK).Body;

    [Fact]
    public async Task A_registered_authenticator_and_the_password_log_in()
    {
        await using var s = await IdentityScenario.StartAsync();
        var (api, key) = await UserWithKeyAsync(s, "alice");
        using var _ = api;

        var list = (await api.GetAsync("/v1/auth/webauthn/credentials")).Expect(HttpStatusCode.OK).As<WebAuthnCredentialListResponse>();
        var credential = Assert.Single(list.Credentials);
        Assert.Equal(key.CredentialIdBase64Url, credential.Id);
        Assert.Equal(key.Aaguid.ToString("D"), credential.Aaguid);
        Assert.Equal("yubikey-5", credential.Name);

        var (token, options) = await BeginLoginAsync(s, "alice");
        Assert.Equal(key.CredentialIdBase64Url, options["allowCredentials"]![0]!["id"]!.GetValue<string>());
        var login = (await FinishLoginAsync(s, token, key.GetAssertion(options, Origin(s)))).Expect(HttpStatusCode.OK).As<LoginResponse>();
        Assert.Equal(s.Now.ToString("yyyy-MM-ddTHH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), login.Session.MfaAt![..19]);

        using var session = s.Server.Api(login.Token);
        var me = (await session.GetAsync("/v1/auth/whoami")).Expect(HttpStatusCode.OK).As<WhoAmIResponse>();
        Assert.Equal("alice", me.User.Name);
        Assert.Equal(1, me.User.WebauthnCredentials);
        // A fresh WebAuthn login counts as a recent MFA check.
        (await session.PostAsync("/v1/auth/recovery-codes")).Expect(HttpStatusCode.OK);

        var stored = (await session.GetAsync("/v1/auth/webauthn/credentials")).Expect(HttpStatusCode.OK).As<WebAuthnCredentialListResponse>().Credentials[0];
        Assert.Equal(1, stored.SignCount);
        Assert.NotNull(stored.LastUsedAt);
        Assert.Contains("\"mfa_method\":\"webauthn\"", await AuditAsync(s, "user.login"), StringComparison.Ordinal);
        var enrolments = await AuditAsync(s, "mfa.enroll");
        Assert.Contains(key.CredentialIdBase64Url, enrolments, StringComparison.Ordinal);
        Assert.Contains(key.Aaguid.ToString("D"), enrolments, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_assertion_for_another_origin_is_refused_audited_and_gives_no_session()
    {
        await using var s = await IdentityScenario.StartAsync();
        var (api, key) = await UserWithKeyAsync(s, "bob");
        using var _ = api;
        var sessions = await SessionCountAsync(s, "bob");

        var (token, options) = await BeginLoginAsync(s, "bob");
        var refused = (await FinishLoginAsync(s, token, key.GetAssertion(options, "https://custos.evil.example"))).Expect(HttpStatusCode.Unauthorized, "webauthn-failed");
        Assert.Contains("origin", refused.Node["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("webauthn_bad_origin", await AuditAsync(s, "user.login"), StringComparison.Ordinal);
        Assert.Equal(sessions, await SessionCountAsync(s, "bob"));
        // Nothing changed: the counter the refused assertion carried was not stored.
        Assert.Equal(0, (await api.GetAsync("/v1/auth/webauthn/credentials")).As<WebAuthnCredentialListResponse>().Credentials[0].SignCount);
    }

    [Fact]
    public async Task An_assertion_for_another_relying_party_is_refused()
    {
        await using var s = await IdentityScenario.StartAsync();
        var (api, key) = await UserWithKeyAsync(s, "bob");
        using var _ = api;
        var (token, options) = await BeginLoginAsync(s, "bob");
        (await FinishLoginAsync(s, token, key.GetAssertion(options, Origin(s), rpIdOverride: "evil.example"))).Expect(HttpStatusCode.Unauthorized, "webauthn-failed");
        Assert.Contains("webauthn_bad_rp_id", await AuditAsync(s, "user.login"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cloned_authenticator_whose_counter_did_not_increase_is_refused()
    {
        await using var s = await IdentityScenario.StartAsync();
        var (api, key) = await UserWithKeyAsync(s, "carol");
        using var _ = api;
        var (token, options) = await BeginLoginAsync(s, "carol");
        (await FinishLoginAsync(s, token, key.GetAssertion(options, Origin(s)))).Expect(HttpStatusCode.OK);

        // The clone still has the counter the original had before that login.
        key.Counter = 0;
        (token, options) = await BeginLoginAsync(s, "carol");
        var refused = (await FinishLoginAsync(s, token, key.GetAssertion(options, Origin(s)))).Expect(HttpStatusCode.Unauthorized, "webauthn-failed");
        Assert.Contains("cloned", refused.Node["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("webauthn_counter_regression", await AuditAsync(s, "user.login"), StringComparison.Ordinal);
        Assert.Equal(1, (await api.GetAsync("/v1/auth/webauthn/credentials")).As<WebAuthnCredentialListResponse>().Credentials[0].SignCount);
    }

    [Fact]
    public async Task A_challenge_token_is_used_once()
    {
        await using var s = await IdentityScenario.StartAsync();
        var (api, key) = await UserWithKeyAsync(s, "dave");
        using var _ = api;
        var (token, options) = await BeginLoginAsync(s, "dave");
        (await FinishLoginAsync(s, token, key.GetAssertion(options, Origin(s)))).Expect(HttpStatusCode.OK);
        var again = (await FinishLoginAsync(s, token, key.GetAssertion(options, Origin(s)))).Expect(HttpStatusCode.Unauthorized, "webauthn-failed");
        Assert.Contains("used already", again.Node["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("webauthn_challenge_reused", await AuditAsync(s, "user.login"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_challenge_is_refused()
    {
        await using var s = await IdentityScenario.StartAsync();
        var (api, key) = await UserWithKeyAsync(s, "erin");
        using var _ = api;
        var (token, options) = await BeginLoginAsync(s, "erin");
        s.Server.Time.Advance(TimeSpan.FromMinutes(3));
        var refused = (await FinishLoginAsync(s, token, key.GetAssertion(options, Origin(s)))).Expect(HttpStatusCode.Unauthorized, "webauthn-failed");
        Assert.Contains("expired", refused.Node["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_assertion_signed_with_another_key_is_refused()
    {
        await using var s = await IdentityScenario.StartAsync();
        var (api, key) = await UserWithKeyAsync(s, "frank");
        using var _ = api;
        key.ReplaceKey();
        var (token, options) = await BeginLoginAsync(s, "frank");
        var refused = (await FinishLoginAsync(s, token, key.GetAssertion(options, Origin(s)))).Expect(HttpStatusCode.Unauthorized, "webauthn-failed");
        Assert.Contains("signature", refused.Node["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("webauthn_bad_signature", await AuditAsync(s, "user.login"), StringComparison.Ordinal);
        Assert.Equal(0, (await api.GetAsync("/v1/auth/webauthn/credentials")).As<WebAuthnCredentialListResponse>().Credentials[0].SignCount);
    }

    [Fact]
    public async Task Registering_needs_a_recent_MFA_check_and_a_WebAuthn_step_up_gives_one()
    {
        await using var s = await IdentityScenario.StartAsync();
        var (api, key) = await UserWithKeyAsync(s, "grace");
        using var _ = api;
        s.Server.Time.Advance(TimeSpan.FromMinutes(6));
        (await api.PostAsync("/v1/auth/webauthn/register/begin", new { name = "backup" })).Expect(HttpStatusCode.Forbidden, "mfa-step-up-required");

        var begin = (await api.PostAsync("/v1/auth/mfa/webauthn/begin")).Expect(HttpStatusCode.OK).Node;
        var session = (await api.PostAsync("/v1/auth/mfa/webauthn/finish", Finish(begin["challenge_token"]!.GetValue<string>(), key.GetAssertion(begin["options"]!, Origin(s)))))
            .Expect(HttpStatusCode.OK).As<SessionDto>();
        Assert.NotNull(session.MfaAt);
        using var second = new SoftwareAuthenticator();
        await RegisterAsync(s, api, second);
        Assert.Equal(2, (await api.GetAsync("/v1/auth/webauthn/credentials")).As<WebAuthnCredentialListResponse>().Credentials.Count);
        // The first authenticator is excluded from a new registration's options.
        var options = (await api.PostAsync("/v1/auth/webauthn/register/begin", new { name = "third" })).Expect(HttpStatusCode.OK).Node["options"]!;
        Assert.Equal(2, options["excludeCredentials"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_wrong_password_at_login_begin_answers_like_login_and_counts_toward_lockout()
    {
        await using var s = await IdentityScenario.StartAsync();
        var (api, _) = await UserWithKeyAsync(s, "heidi");
        api.Dispose();
        using var anonymous = s.Server.Api();
        var viaLogin = (await anonymous.PostAsync("/v1/auth/login", new LoginRequest("heidi", "wrong password entirely", "123456", null)))
            .Expect(HttpStatusCode.Unauthorized, "login-failed").Node;
        var viaWebAuthn = (await anonymous.PostAsync("/v1/auth/webauthn/login/begin", new { user = "heidi", password = "wrong password entirely" }))
            .Expect(HttpStatusCode.Unauthorized, "login-failed").Node;
        Assert.Equal(viaLogin["title"]!.GetValue<string>(), viaWebAuthn["title"]!.GetValue<string>());
        Assert.Equal(viaLogin["detail"]!.GetValue<string>(), viaWebAuthn["detail"]!.GetValue<string>());
        var unknownUser = (await anonymous.PostAsync("/v1/auth/webauthn/login/begin", new { user = "nobody", password = "wrong password entirely" }))
            .Expect(HttpStatusCode.Unauthorized, "login-failed").Node;
        Assert.Equal(viaLogin["detail"]!.GetValue<string>(), unknownUser["detail"]!.GetValue<string>());

        // Five failures of one user from one source lock it, whichever flow they came through.
        (await anonymous.PostAsync("/v1/auth/webauthn/login/begin", new { user = "heidi", password = "wrong password entirely" })).Expect(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsync("/v1/auth/login", new LoginRequest("heidi", "wrong password entirely", "123456", null))).Expect(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsync("/v1/auth/webauthn/login/begin", new { user = "heidi", password = "wrong password entirely" })).Expect(HttpStatusCode.TooManyRequests, "locked-out");
        (await anonymous.PostAsync("/v1/auth/webauthn/login/begin", new { user = "heidi", password = IdentityScenario.UserPassword })).Expect(HttpStatusCode.TooManyRequests, "locked-out");
    }

    [Fact]
    public async Task Failed_assertions_count_toward_lockout()
    {
        await using var s = await IdentityScenario.StartAsync();
        var (api, key) = await UserWithKeyAsync(s, "ivan");
        using var _ = api;
        key.ReplaceKey();
        for (var i = 0; i < 4; i++)
        {
            var (token, options) = await BeginLoginAsync(s, "ivan");
            (await FinishLoginAsync(s, token, key.GetAssertion(options, Origin(s)))).Expect(HttpStatusCode.Unauthorized, "webauthn-failed");
        }
        var (last, lastOptions) = await BeginLoginAsync(s, "ivan");
        (await FinishLoginAsync(s, last, key.GetAssertion(lastOptions, Origin(s)))).Expect(HttpStatusCode.TooManyRequests, "locked-out");
    }

    [Fact]
    public async Task Deleting_a_credential_works_and_is_audited()
    {
        await using var s = await IdentityScenario.StartAsync();
        var (api, key) = await UserWithKeyAsync(s, "judy");
        using var _ = api;
        (await api.DeleteAsync("/v1/auth/webauthn/credentials/not-a-credential")).Expect(HttpStatusCode.NotFound);
        (await api.DeleteAsync("/v1/auth/webauthn/credentials/" + key.CredentialIdBase64Url)).Expect(HttpStatusCode.NoContent);
        Assert.Empty((await api.GetAsync("/v1/auth/webauthn/credentials")).As<WebAuthnCredentialListResponse>().Credentials);
        Assert.Contains(key.CredentialIdBase64Url, await AuditAsync(s, "mfa.remove"), StringComparison.Ordinal);

        using var anonymous = s.Server.Api();
        (await anonymous.PostAsync("/v1/auth/webauthn/login/begin", new { user = "judy", password = IdentityScenario.UserPassword }))
            .Expect(HttpStatusCode.Forbidden, "webauthn-not-registered");
    }

    [Fact]
    public async Task Bad_input_gets_precise_answers()
    {
        await using var s = await IdentityScenario.StartAsync();
        var (alice, aliceKey) = await UserWithKeyAsync(s, "alice");
        using var _ = alice;
        using var anonymous = s.Server.Api();

        (await anonymous.PostAsync("/v1/auth/webauthn/login/finish", "{\"challenge_token\": ")).Expect(HttpStatusCode.BadRequest, "malformed-json");
        (await anonymous.PostAsync("/v1/auth/webauthn/login/finish", new { challenge_token = "cwc_x" })).Expect(HttpStatusCode.BadRequest, "validation");
        var (token, options) = await BeginLoginAsync(s, "alice");
        var assertion = aliceKey.GetAssertion(options, Origin(s));
        var noToken = (await anonymous.PostAsync("/v1/auth/webauthn/login/finish", new JsonObject { ["response"] = assertion.DeepClone() }))
            .Expect(HttpStatusCode.BadRequest, "validation");
        Assert.Contains("challenge_token", noToken.Body, StringComparison.Ordinal);

        var noSignature = (JsonObject)assertion.DeepClone();
        noSignature["response"]!.AsObject().Remove("signature");
        var missing = (await FinishLoginAsync(s, token, noSignature)).Expect(HttpStatusCode.BadRequest, "validation");
        Assert.Contains("response.signature", missing.Body, StringComparison.Ordinal);
        var notBase64 = (JsonObject)assertion.DeepClone();
        notBase64["rawId"] = "***";
        (await FinishLoginAsync(s, token, notBase64)).Expect(HttpStatusCode.BadRequest, "validation");
        var forged = (await FinishLoginAsync(s, "cwc_" + new string('A', 120), assertion)).Expect(HttpStatusCode.BadRequest, "validation");
        Assert.Contains("not a challenge token", forged.Body, StringComparison.Ordinal);
        // A malformed response does not burn the challenge: the right one still logs in.
        (await FinishLoginAsync(s, token, assertion)).Expect(HttpStatusCode.OK);

        // A registration challenge issued to alice cannot finish bob's registration, and a login challenge is not a registration one.
        var bobTotp = await s.AddUserAsync("bob");
        using var bob = await s.LoginAsync("bob", bobTotp);
        var begin = (await alice.PostAsync("/v1/auth/webauthn/register/begin", new { name = "second" })).Expect(HttpStatusCode.OK).Node;
        using var bobKey = new SoftwareAuthenticator();
        var otherUser = (await bob.PostAsync("/v1/auth/webauthn/register/finish", Finish(begin["challenge_token"]!.GetValue<string>(), bobKey.MakeCredential(begin["options"]!, Origin(s)))))
            .Expect(HttpStatusCode.BadRequest, "validation");
        Assert.Contains("another user", otherUser.Body, StringComparison.Ordinal);
        var (loginToken, loginOptions) = await BeginLoginAsync(s, "alice");
        var wrongPurpose = (await alice.PostAsync("/v1/auth/webauthn/register/finish", Finish(loginToken, bobKey.MakeCredential(begin["options"]!, Origin(s)))))
            .Expect(HttpStatusCode.BadRequest, "validation");
        Assert.Contains("not issued for register", wrongPurpose.Body, StringComparison.Ordinal);
        (await alice.PostAsync("/v1/auth/webauthn/register/begin", new { name = "" })).Expect(HttpStatusCode.BadRequest, "validation");
        (await alice.PostAsync("/v1/auth/webauthn/register/begin", new { name = "tab\there" })).Expect(HttpStatusCode.BadRequest, "validation");
        // Registering the same authenticator twice is a conflict.
        var again = (await alice.PostAsync("/v1/auth/webauthn/register/begin", new { name = "again" })).Expect(HttpStatusCode.OK).Node;
        (await alice.PostAsync("/v1/auth/webauthn/register/finish", Finish(again["challenge_token"]!.GetValue<string>(), aliceKey.MakeCredential(again["options"]!, Origin(s)))))
            .Expect(HttpStatusCode.Conflict, "webauthn-credential-exists");
        Assert.NotNull(loginOptions);
    }
}
