using Custos.Cli.Nodes;

namespace Custos.Cli.Tests.Nodes;

/// <summary>The sshd_config lines printed by <c>node join</c> and <c>admin resources sshd-config</c>.</summary>
public sealed class SshdConfigTextTests
{
    [Fact]
    public void The_defaults_point_sshd_at_etc_ssh_custos_and_the_ed25519_host_key()
    {
        Assert.Equal("""
            # Custos manages these files for node web-1 (custos node join / custos node sync)
            TrustedUserCAKeys /etc/ssh/custos/user_ca.pub
            AuthorizedPrincipalsFile /etc/ssh/custos/principals/%u
            RevokedKeys /etc/ssh/custos/revoked.krl
            HostKey /etc/ssh/ssh_host_ed25519_key
            HostCertificate /etc/ssh/ssh_host_ed25519_key-cert.pub

            """, SshdConfigText.Build("web-1", NodeLayout.DefaultDirectory, NodeLayout.DefaultHostKey));
    }

    [Fact]
    public void Another_directory_host_key_and_certificate_path_are_used_as_given()
    {
        var text = SshdConfigText.Build("db-1", "/srv/custos", "/etc/ssh/ssh_host_ecdsa_key.pub", "/srv/custos/ssh_host_ecdsa_key-cert.pub");
        Assert.Contains("\nTrustedUserCAKeys /srv/custos/user_ca.pub\n", text, StringComparison.Ordinal);
        Assert.Contains("\nAuthorizedPrincipalsFile /srv/custos/principals/%u\n", text, StringComparison.Ordinal);
        Assert.Contains("\nRevokedKeys /srv/custos/revoked.krl\n", text, StringComparison.Ordinal);
        Assert.Contains("\nHostKey /etc/ssh/ssh_host_ecdsa_key\n", text, StringComparison.Ordinal);
        Assert.EndsWith("\nHostCertificate /srv/custos/ssh_host_ecdsa_key-cert.pub\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_path_with_a_space_is_quoted_as_sshd_config_needs()
    {
        var text = SshdConfigText.Build("web-1", "/srv/my nodes", NodeLayout.DefaultHostKey);
        Assert.Contains("\nTrustedUserCAKeys \"/srv/my nodes/user_ca.pub\"\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_host_certificate_goes_beside_the_key_or_into_the_out_directory()
    {
        Assert.Equal("/etc/ssh/ssh_host_rsa_key-cert.pub", NodeLayout.HostCertificatePath("/etc/ssh/ssh_host_rsa_key.pub", null));
        Assert.Equal("/tmp/node/ssh_host_rsa_key-cert.pub", NodeLayout.HostCertificatePath("/etc/ssh/ssh_host_rsa_key.pub", "/tmp/node"));
    }
}
