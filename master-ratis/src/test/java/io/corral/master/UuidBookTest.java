package io.corral.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class UuidBookTest
{
    @Test
    void aBookWithValuesFindsEachUuidsValueAndForgetsTheOldestWhenFull()
    {
        final UuidBook book = new UuidBook(2);
        book.put(1, 10, 100);
        book.put(2, 20, 200);
        assertEquals(100, book.get(1, 10));
        assertEquals(Long.MIN_VALUE, book.get(1, 11), "same high half, another uuid");
        book.put(2, 20, 201);
        assertEquals(201, book.get(2, 20), "a repeated put changes the value, not the order");
        book.put(3, 30, 300);
        assertFalse(book.contains(1, 10), "full: the oldest went");
        assertTrue(book.contains(2, 20));
        assertEquals(300, book.get(3, 30));
    }

    @Test
    void aBookWithoutValuesKeepsMembershipTheSameWay()
    {
        final UuidBook book = new UuidBook(2, false);
        book.put(1, 10, 0);
        book.put(2, 20, 0);
        book.remove(1, 10);
        assertFalse(book.contains(1, 10));
        book.put(3, 30, 0);
        book.put(4, 40, 0);
        assertFalse(book.contains(2, 20), "full: the oldest went");
        assertTrue(book.contains(3, 30) && book.contains(4, 40));
        assertFalse(book.contains(0, 0), "the empty uuid is never in a book");
        assertThrows(IllegalStateException.class, () -> book.get(3, 30));
    }
}
