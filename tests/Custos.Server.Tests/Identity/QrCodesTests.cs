using System.Buffers.Binary;
using Custos.Core.Identity;
using Custos.Server.Identity;

namespace Custos.Server.Tests.Identity;

public class QrCodesTests
{
    private static readonly string Enrolment = Totp.OtpauthUri("Custos", "alice", new byte[20]);

    [Fact]
    public void Png_is_a_square_PNG_with_a_quiet_zone()
    {
        var png = QrCodes.Png(Enrolment);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        var width = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16));
        var height = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20));
        Assert.Equal(width, height);
        Assert.Equal(0, width % QrCodes.PixelsPerModule);
        var modules = width / QrCodes.PixelsPerModule;
        // Version v has 17 + 4v modules, plus 4 quiet modules on each side.
        Assert.Equal(0, (modules - 8 - 17) % 4);
        Assert.InRange((modules - 8 - 17) / 4, 1, 40);
    }

    [Fact]
    public void Terminal_rendering_is_square_and_carries_the_code()
    {
        var text = QrCodes.Terminal(Enrolment);
        var lines = text.TrimEnd('\n').Split('\n');
        var width = lines[0].Length;
        Assert.All(lines, line => Assert.Equal(width, line.Length));
        Assert.Equal((width + 1) / 2, lines.Length); // two module rows per line: square on screen
        Assert.True(width >= 21 + 8);
        // Light-on-dark: the quiet zone is drawn solid, the code has both kinds of cell.
        Assert.Equal(new string('█', width), lines[0]);
        Assert.Equal(new string('█', width), lines[1]);
        // Every line starts and ends in the quiet zone (the last line of an odd-sized code holds one module row: ▀).
        Assert.All(lines, line => Assert.Matches("^[█▀]{4}.*[█▀]{4}$", line));
        Assert.Contains(' ', text);
        Assert.Contains('▀', text);
        Assert.Contains('▄', text);
        Assert.All(text, c => Assert.Contains(c, " ▀▄█\n"));
    }

    [Fact]
    public void Dark_on_light_rendering_is_the_inverse()
    {
        var light = QrCodes.Terminal(Enrolment, darkOnLight: false);
        var dark = QrCodes.Terminal(Enrolment, darkOnLight: true);
        Assert.Equal(light.Length, dark.Length);
        for (var i = 0; i < light.Length; i++)
        {
            var expected = light[i] switch { '█' => ' ', ' ' => '█', '▀' => '▄', '▄' => '▀', var c => c };
            // The last line of an odd-sized code has no second row: both renderings leave that half empty.
            if (light[i] != '\n' && i > light.LastIndexOf('\n', light.Length - 2)) continue;
            Assert.Equal(expected, dark[i]);
        }
    }

    [Fact]
    public void Renderings_are_deterministic()
    {
        Assert.Equal(QrCodes.Terminal(Enrolment), QrCodes.Terminal(Enrolment));
        Assert.Equal(QrCodes.Png(Enrolment), QrCodes.Png(Enrolment));
        Assert.NotEqual(QrCodes.Terminal(Enrolment), QrCodes.Terminal(Enrolment + "x"));
    }

    [Fact]
    public void Text_too_long_for_a_QR_code_is_refused_clearly_without_echoing_it()
    {
        Assert.NotNull(QrCodes.Png(new string('a', QrCodes.MaxBytes)));
        var secret = "otpauth://totp/x?secret=" + new string('s', 3000);
        var e = Assert.Throws<ArgumentException>(() => QrCodes.Png(secret));
        Assert.Contains("too long for a QR code", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sss", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => QrCodes.Terminal(secret));
        Assert.Throws<ArgumentException>(() => QrCodes.Terminal(""));
    }
}
