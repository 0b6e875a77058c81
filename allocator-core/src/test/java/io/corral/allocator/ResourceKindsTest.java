package io.corral.allocator;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResourceKindsTest
{
    @Test
    void shouldParseCpusAsMilliCpusAndOthersAsWholeUnits()
    {
        final ResourceKinds kinds = ResourceKinds.withCustom("ssd");
        assertArrayEquals(new long[] { 1500, 1024, 0, 1, 100 }, kinds.parse("cpus:1.5; mem:1024;gpus:1;ssd:100"));
        assertEquals("cpus:1.5 mem:1024 gpus:1 ssd:100", kinds.format(new long[] { 1500, 1024, 0, 1, 100 }));
        assertEquals("(none)", kinds.format(kinds.newVector()));
        assertEquals("0.25", kinds.formatValue(ResourceKinds.CPUS, 250));
        assertEquals("2048", kinds.formatValue(ResourceKinds.MEM, 2048));
    }

    @Test
    void shouldRejectUnknownNegativeOrTooPreciseValues()
    {
        final ResourceKinds kinds = ResourceKinds.standard();
        assertTrue(assertThrows(AllocatorException.class, () -> kinds.parse("tpus:1")).getMessage()
            .contains("unknown resource kind 'tpus'"));
        assertTrue(assertThrows(AllocatorException.class, () -> kinds.parse("cpus:-1")).getMessage()
            .contains("negative"));
        assertTrue(assertThrows(AllocatorException.class, () -> kinds.parse("cpus:0.0001")).getMessage()
            .contains("three decimals"));
        assertTrue(assertThrows(AllocatorException.class, () -> kinds.parse("mem:1.5")).getMessage()
            .contains("whole number"));
        assertTrue(assertThrows(AllocatorException.class, () -> kinds.parse("mem")).getMessage()
            .contains("name:value"));
    }

    @Test
    void shouldRejectDuplicateOrBadCustomNames()
    {
        assertThrows(AllocatorException.class, () -> ResourceKinds.withCustom("mem"));
        assertThrows(AllocatorException.class, () -> ResourceKinds.withCustom("ssd", "ssd"));
        assertThrows(AllocatorException.class, () -> ResourceKinds.withCustom("Bad Name"));
        assertEquals(5, ResourceKinds.withCustom("ssd").count());
        assertEquals(4, ResourceKinds.withCustom("ssd").indexOf("ssd"));
    }
}
