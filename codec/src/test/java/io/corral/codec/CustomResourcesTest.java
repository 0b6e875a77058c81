package io.corral.codec;

import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CustomResourcesTest
{
    @Test
    void parsesAndFormatsSortedByName()
    {
        final Map<String, Long> parsed = CustomResources.parse(" ssd:100; fpga : 2 ;");
        assertEquals(Map.of("fpga", 2L, "ssd", 100L), parsed);
        assertEquals("fpga:2;ssd:100", CustomResources.format(parsed));
        assertEquals(parsed, CustomResources.parse(CustomResources.format(parsed)));
        assertTrue(CustomResources.parse("").isEmpty());
        assertTrue(CustomResources.parse(null).isEmpty());
    }

    @Test
    void refusesWhatIsNotACustomKindWithTheReason()
    {
        assertMessage("not of the form name:value", "ssd");
        assertMessage("a whole number", "ssd:1.5");
        assertMessage("negative", "ssd:-1");
        assertMessage("given twice", "ssd:1;ssd:2");
        assertMessage("standard resource", "cpus:4");
        assertMessage("invalid", "SSD:4");
        assertMessage("invalid", "9lives:4");
    }

    private static void assertMessage(final String expected, final String text)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> CustomResources.parse(text));
        assertTrue(ex.getMessage().contains(expected), text + " -> " + ex.getMessage());
    }
}
