/* banned.h: functions that are easy to misuse become compile errors.
 * Every .c file includes it last, after the system headers it uses. */
#ifndef CALLMINE_BANNED_H
#define CALLMINE_BANNED_H

#define BANNED(f) sorry_##f##_is_banned_use_the_safe_alternative

#undef strcpy
#define strcpy(...) BANNED(strcpy)
#undef strcat
#define strcat(...) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(...) BANNED(strtok)
#undef gmtime
#define gmtime(...) BANNED(gmtime)
#undef localtime
#define localtime(...) BANNED(localtime)

#endif
