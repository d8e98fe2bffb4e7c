package dev.tooltune.chat.sample;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tooltune.chat.ChatExample;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ChatMessage;
import dev.tooltune.chat.ToolCall;
import dev.tooltune.chat.ToolDefinition;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Generates realistic tool-calling conversations in OpenAI's fine-tuning format for the tools of
 * {@link SampleTools}: single calls, parallel calls, multi-turn exchanges with tool results and a final answer,
 * requests that need a clarifying question first, and requests no tool fits; prompts in English and Russian.
 * Every call names a declared tool and its arguments satisfy that tool's JSON Schema by construction (a test
 * validates them). Example {@code i} depends only on the seed and {@code i}, so a longer run extends a shorter one.
 *
 * <pre>java ... dev.tooltune.chat.sample.SampleDataGenerator --seed 42 --count 400 --out samples/tool-calling-sample.jsonl</pre>
 */
public final class SampleDataGenerator {

    private final long seed;

    public SampleDataGenerator(long seed) {
        this.seed = seed;
    }

    public List<ChatExample> generate(int count) {
        List<ChatExample> examples = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            examples.add(example(i));
        }
        return examples;
    }

    /** Example number {@code index} of this seed. */
    public ChatExample example(int index) {
        return new Conversation(new Random(seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + 1)).build();
    }

    /** Writes {@code count} examples as JSON Lines, one example per line. */
    public void writeJsonl(int count, Writer out) throws IOException {
        for (int i = 0; i < count; i++) {
            out.write(ChatJson.MAPPER.writeValueAsString(example(i)));
            out.write('\n');
        }
        out.flush();
    }

    public static void main(String[] args) throws IOException {
        long seed = 42;
        int count = 400;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (arg) {
                case "--seed" -> seed = Long.parseLong(required(arg, value));
                case "--count" -> count = Integer.parseInt(required(arg, value));
                case "--out" -> out = Path.of(required(arg, value));
                case "--help", "-h" -> {
                    System.out.println("usage: SampleDataGenerator [--seed N] [--count N] [--out FILE]"
                            + " (JSON Lines on stdout without --out)");
                    return;
                }
                default -> throw new IllegalArgumentException("unknown argument " + arg
                        + "; usage: [--seed N] [--count N] [--out FILE]");
            }
            i++;
        }
        if (count < 0) {
            throw new IllegalArgumentException("--count must be >= 0, got " + count);
        }
        SampleDataGenerator generator = new SampleDataGenerator(seed);
        if (out == null) {
            generator.writeJsonl(count, new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8)));
        } else {
            if (out.toAbsolutePath().getParent() != null) {
                Files.createDirectories(out.toAbsolutePath().getParent());
            }
            try (Writer writer = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
                generator.writeJsonl(count, writer);
            }
            System.err.println("wrote " + count + " examples (seed " + seed + ") to " + out);
        }
    }

    private static String required(String flag, String value) {
        if (value == null) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return value;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Value pools. Russian forms: nominative, prepositional ("в Берлине"), genitive ("из Берлина"), accusative.

    private record City(String en, String country, String iata, String ruNom, String ruPrep, String ruGen,
            String ruAcc, String zone) {}

    private static final List<City> CITIES = List.of(
            new City("Berlin", "DE", "BER", "Берлин", "Берлине", "Берлина", "Берлин", "Europe/Berlin"),
            new City("Paris", "FR", "CDG", "Париж", "Париже", "Парижа", "Париж", "Europe/Paris"),
            new City("London", "GB", "LHR", "Лондон", "Лондоне", "Лондона", "Лондон", "Europe/London"),
            new City("Moscow", "RU", "SVO", "Москва", "Москве", "Москвы", "Москву", "Europe/Moscow"),
            new City("Saint Petersburg", "RU", "LED", "Санкт-Петербург", "Санкт-Петербурге", "Санкт-Петербурга",
                    "Санкт-Петербург", "Europe/Moscow"),
            new City("Kazan", "RU", "KZN", "Казань", "Казани", "Казани", "Казань", "Europe/Moscow"),
            new City("Novosibirsk", "RU", "OVB", "Новосибирск", "Новосибирске", "Новосибирска", "Новосибирск",
                    "Asia/Novosibirsk"),
            new City("New York", "US", "JFK", "Нью-Йорк", "Нью-Йорке", "Нью-Йорка", "Нью-Йорк", "America/New_York"),
            new City("Tokyo", "JP", "HND", "Токио", "Токио", "Токио", "Токио", "Asia/Tokyo"),
            new City("Barcelona", "ES", "BCN", "Барселона", "Барселоне", "Барселоны", "Барселону", "Europe/Madrid"),
            new City("Istanbul", "TR", "IST", "Стамбул", "Стамбуле", "Стамбула", "Стамбул", "Europe/Istanbul"),
            new City("Dubai", "AE", "DXB", "Дубай", "Дубае", "Дубая", "Дубай", "Asia/Dubai"),
            new City("Vienna", "AT", "VIE", "Вена", "Вене", "Вены", "Вену", "Europe/Vienna"),
            new City("Prague", "CZ", "PRG", "Прага", "Праге", "Праги", "Прагу", "Europe/Prague"));

    private record Person(String name, String email, String company, String phone) {
        String first() {
            return name.substring(0, name.indexOf(' '));
        }
    }

    private static final List<Person> PEOPLE_EN = List.of(
            new Person("Anna Schmidt", "anna.schmidt@northwind.io", "Northwind", "+49 30 5550 1842"),
            new Person("David Chen", "david.chen@acme-corp.com", "Acme Corp", "+1 415 555 0137"),
            new Person("Maria Garcia", "maria.garcia@globex.com", "Globex", "+34 91 555 2290"),
            new Person("James O'Connor", "james.oconnor@initech.com", "Initech", "+44 20 7946 0321"),
            new Person("Priya Nair", "priya.nair@umbrella.co", "Umbrella", "+91 80 5555 7712"),
            new Person("Tom Becker", "tom.becker@contoso.de", "Contoso", "+49 89 5550 6631"));

    private static final List<Person> PEOPLE_RU = List.of(
            new Person("Ольга Смирнова", "olga.smirnova@romashka.ru", "Ромашка", "+7 495 555-21-40"),
            new Person("Иван Петров", "ivan.petrov@vector-soft.ru", "Вектор Софт", "+7 812 555-33-17"),
            new Person("Дмитрий Кузнецов", "d.kuznetsov@stroymarket.ru", "СтройМаркет", "+7 843 555-08-92"),
            new Person("Екатерина Волкова", "e.volkova@sever-it.ru", "Север ИТ", "+7 383 555-64-05"),
            new Person("Алексей Морозов", "alexey.morozov@technopark.ru", "Технопарк", "+7 495 555-77-81"),
            new Person("Наталья Орлова", "n.orlova@mirtorg.ru", "МирТорг", "+7 812 555-12-59"));

    /** ISO code, English name (plural), Russian "в ...ах" form, units per US dollar. */
    private record Currency(String code, String en, String ruIn, double perUsd) {}

    private static final List<Currency> CURRENCIES = List.of(
            new Currency("USD", "US dollars", "в долларах", 1.0),
            new Currency("EUR", "euros", "в евро", 0.92),
            new Currency("RUB", "rubles", "в рублях", 91.5),
            new Currency("GBP", "British pounds", "в фунтах", 0.79),
            new Currency("JPY", "Japanese yen", "в иенах", 149.3),
            new Currency("CNY", "Chinese yuan", "в юанях", 7.19),
            new Currency("CHF", "Swiss francs", "в швейцарских франках", 0.88),
            new Currency("TRY", "Turkish lira", "в турецких лирах", 32.1),
            new Currency("AED", "UAE dirhams", "в дирхамах", 3.6725));

    private record Condition(String en, String ru) {}

    private static final List<Condition> CONDITIONS = List.of(new Condition("clear sky", "ясно"),
            new Condition("partly cloudy", "переменная облачность"), new Condition("light rain", "небольшой дождь"),
            new Condition("overcast", "пасмурно"), new Condition("snow showers", "снег"),
            new Condition("thunderstorm", "гроза"), new Condition("fog", "туман"));

    private record Business(String en, String ruAcc, String ruNom) {}

    private static final List<Business> BUSINESSES = List.of(
            new Business("coffee shop", "кофейню", "кофейня"), new Business("pizzeria", "пиццерию", "пиццерия"),
            new Business("dentist", "стоматологию", "стоматология"),
            new Business("car repair shop", "автосервис", "автосервис"), new Business("pharmacy", "аптеку", "аптека"),
            new Business("bookstore", "книжный магазин", "книжный магазин"),
            new Business("vegan restaurant", "веганский ресторан", "веганский ресторан"),
            new Business("gym", "спортзал", "спортзал"), new Business("coworking space", "коворкинг", "коворкинг"));

    private static final List<String> BUSINESS_NAMES = List.of("Corner House", "Old Town", "Riverside", "Golden Hour",
            "Green Leaf", "Blue Door", "Central", "Maple & Co", "North Star", "Little Harbor");
    private static final List<String> STREETS_EN = List.of("Market Street", "River Road", "Station Square",
            "Park Avenue", "Garden Lane", "King Street");
    private static final List<String> STREETS_RU = List.of("ул. Ленина", "пр. Мира", "ул. Садовая",
            "ул. Пушкина", "Невский пр.", "ул. Баумана");

    private record Bilingual(String en, String ru) {}

    private static final List<Bilingual> EVENT_TITLES = List.of(new Bilingual("Quarterly budget review",
            "Обзор квартального бюджета"), new Bilingual("Project kickoff", "Старт проекта"),
            new Bilingual("Dentist appointment", "Приём у стоматолога"), new Bilingual("Team lunch", "Обед с командой"),
            new Bilingual("Sprint planning", "Планирование спринта"), new Bilingual("Client demo", "Демо для клиента"),
            new Bilingual("Interview with a candidate", "Собеседование с кандидатом"));

    private record Email(String subjectEn, String bodyEn, String subjectRu, String bodyRu) {}

    private static final List<Email> EMAILS = List.of(
            new Email("Invoice for March", "Hi %s, please find the March invoice attached. Let me know if you have any"
                    + " questions.", "Счёт за март", "Здравствуйте, %s! Направляю счёт за март. Если будут вопросы,"
                    + " пишите."),
            new Email("Meeting moved to Thursday", "Hi %s, our meeting is moved to Thursday, same time.",
                    "Встреча переносится на четверг", "%s, добрый день! Наша встреча переносится на четверг, время"
                    + " то же."),
            new Email("Contract draft", "Hi %s, I've sent you the draft contract for review. Could you reply by"
                    + " Friday?", "Проект договора", "%s, здравствуйте! Отправил проект договора на согласование."
                    + " Сможете ответить до пятницы?"),
            new Email("Thank you", "Hi %s, thanks a lot for your help with the launch yesterday!", "Спасибо",
                    "%s, большое спасибо за помощь с запуском вчера!"),
            new Email("Access to the staging server", "Hi %s, could you give me access to the staging server this"
                    + " week?", "Доступ к тестовому серверу", "%s, привет! Можешь дать мне доступ к тестовому серверу"
                    + " на этой неделе?"));

    private record Ticket(String subjectEn, String descriptionEn, String subjectRu, String descriptionRu,
            List<String> tags) {}

    private static final List<Ticket> TICKETS = List.of(
            new Ticket("Cannot log in after password reset", "The customer cannot log in after resetting the"
                    + " password: the reset email arrives, but the new password is rejected.",
                    "Не удаётся войти после сброса пароля", "Клиент не может войти после сброса пароля: письмо"
                    + " приходит, но новый пароль не принимается.", List.of("login", "account")),
            new Ticket("Double charge on invoice", "The customer was charged twice for the February invoice and asks"
                    + " for a refund of the duplicate payment.", "Двойное списание по счёту", "С клиента дважды"
                    + " списали оплату по февральскому счёту, он просит вернуть лишний платёж.",
                    List.of("billing", "refund")),
            new Ticket("Mobile app crashes on startup", "Since the last update the Android app closes immediately"
                    + " after launch.", "Мобильное приложение падает при запуске", "После последнего обновления"
                    + " приложение на Android закрывается сразу после запуска.", List.of("mobile", "crash")),
            new Ticket("CSV export is empty", "The CSV export of the orders report downloads a file with headers"
                    + " only.", "Пустая выгрузка в CSV", "Выгрузка отчёта по заказам в CSV скачивается только с"
                    + " заголовками.", List.of("reports", "export")));

    private static final List<Bilingual> REMINDERS = List.of(new Bilingual("call the bank", "позвонить в банк"),
            new Bilingual("pick up the dry cleaning", "забрать вещи из химчистки"),
            new Bilingual("send the weekly report", "отправить еженедельный отчёт"),
            new Bilingual("water the plants", "полить цветы"),
            new Bilingual("book a table for Friday", "забронировать столик на пятницу"),
            new Bilingual("renew the parking permit", "продлить парковочное разрешение"));

    private record Route(String from, String to, boolean russian) {}

    private static final List<Route> ROUTES = List.of(new Route("Berlin Hauptbahnhof", "Brandenburg Gate", false),
            new Route("JFK Airport", "Times Square", false), new Route("Louvre Museum", "Eiffel Tower", false),
            new Route("Camden Market", "British Museum", false),
            new Route("Казанский вокзал", "Красная площадь", true),
            new Route("аэропорт Пулково", "Невский проспект, 28", true),
            new Route("Казанский кремль", "Казань Арена", true));

    private static final Map<String, String[]> MODES = Map.of(
            "driving", new String[] {"by car", "на машине"}, "walking", new String[] {"on foot", "пешком"},
            "transit", new String[] {"by public transport", "на общественном транспорте"},
            "bicycling", new String[] {"by bike", "на велосипеде"});
    private static final List<String> MODE_ORDER = List.of("driving", "walking", "transit", "bicycling");

    private static final List<String> LANGUAGES = List.of("en", "ru", "de", "fr", "es");
    private static final Map<String, String[]> LANGUAGE_NAMES = Map.of("en", new String[] {"English", "английский"},
            "ru", new String[] {"Russian", "русский"}, "de", new String[] {"German", "немецкий"},
            "fr", new String[] {"French", "французский"}, "es", new String[] {"Spanish", "испанский"});
    private static final List<Map<String, String>> PHRASES = List.of(
            Map.of("en", "Where is the nearest train station?", "ru", "Где ближайший вокзал?",
                    "de", "Wo ist der nächste Bahnhof?", "fr", "Où est la gare la plus proche ?",
                    "es", "¿Dónde está la estación de tren más cercana?"),
            Map.of("en", "Could you send me the invoice by Friday?", "ru",
                    "Не могли бы вы прислать мне счёт до пятницы?", "de",
                    "Könnten Sie mir die Rechnung bis Freitag schicken?", "fr",
                    "Pourriez-vous m'envoyer la facture d'ici vendredi ?", "es",
                    "¿Podría enviarme la factura antes del viernes?"),
            Map.of("en", "The meeting has been moved to next week.", "ru", "Встреча перенесена на следующую неделю.",
                    "de", "Das Meeting wurde auf nächste Woche verschoben.", "fr",
                    "La réunion a été reportée à la semaine prochaine.", "es",
                    "La reunión se ha trasladado a la próxima semana."),
            Map.of("en", "Thank you for your help!", "ru", "Спасибо за помощь!", "de", "Vielen Dank für Ihre Hilfe!",
                    "fr", "Merci pour votre aide !", "es", "¡Gracias por su ayuda!"),
            Map.of("en", "I would like to book a table for two.", "ru", "Я хотел бы забронировать столик на двоих.",
                    "de", "Ich möchte einen Tisch für zwei Personen reservieren.", "fr",
                    "Je voudrais réserver une table pour deux.", "es", "Me gustaría reservar una mesa para dos."));

    private record InvoiceItem(String en, String ru, int unitPrice) {}

    private static final List<InvoiceItem> INVOICE_ITEMS = List.of(new InvoiceItem("Consulting hour", "Час консультации",
            120), new InvoiceItem("Setup fee", "Настройка системы", 250), new InvoiceItem("Annual license",
            "Годовая лицензия", 990), new InvoiceItem("Training session", "Обучающая сессия", 400),
            new InvoiceItem("Support package", "Пакет поддержки", 180));

    private static final List<Bilingual> SMALL_TALK = List.of(
            new Bilingual("What's the capital of Australia?|The capital of Australia is Canberra.",
                    "Какая столица Канады?|Столица Канады — Оттава."),
            new Bilingual("Can you explain what an API is in one sentence?|An API is an agreed way for one program to"
                    + " ask another for data or actions, like a menu of requests it accepts.",
                    "Объясни в одном предложении, что такое API.|API — это набор правил, по которым одна программа"
                    + " может запрашивать у другой данные или действия."),
            new Bilingual("Write a short haiku about autumn.|Maple leaves drifting,\ncold wind hums through empty"
                    + " boughs —\nthe year exhales slow.", "Напиши короткое поздравление коллеге с днём рождения.|С днём"
                    + " рождения! Желаю интересных проектов, вдохновения и отличного настроения — пусть этот год"
                    + " будет лучше предыдущего."),
            new Bilingual("How many minutes are in a day?|There are 1,440 minutes in a day (24 × 60).",
                    "Сколько секунд в часе?|В часе 3600 секунд (60 × 60)."),
            new Bilingual("Thanks, that's all for now!|You're welcome! Let me know if you need anything else.",
                    "Спасибо, пока всё!|Пожалуйста! Обращайтесь, если понадобится что-то ещё."),
            new Bilingual("What does HTTP 404 mean?|HTTP 404 means \"Not Found\": the server answered, but the"
                    + " requested page or resource does not exist.", "Что означает ошибка HTTP 500?|HTTP 500 —"
                    + " внутренняя ошибка сервера: запрос дошёл, но сервер не смог его обработать из-за сбоя у"
                    + " себя."),
            new Bilingual("Give me one tip for writing clearer emails.|Put your request in the first sentence and keep"
                    + " one topic per email, so the reader knows what you need before scrolling.",
                    "Дай совет, как подготовиться к собеседованию.|Изучите компанию и вакансию, подготовьте два-три"
                    + " примера своих достижений по схеме «задача — действие — результат» и продумайте вопросы к"
                    + " интервьюеру."),
            new Bilingual("Who wrote \"Pride and Prejudice\"?|\"Pride and Prejudice\" was written by Jane Austen and"
                    + " published in 1813.", "Кто написал «Войну и мир»?|«Войну и мир» написал Лев Толстой."),
            new Bilingual("What's 15% of 80?|15% of 80 is 12.", "Сколько будет 12 процентов от 250?|12% от 250 — это"
                    + " 30."),
            new Bilingual("Hi!|Hello! How can I help you today?", "Привет!|Здравствуйте! Чем могу помочь?"),
            new Bilingual("Is a tomato a fruit or a vegetable?|Botanically a tomato is a fruit (a berry), though in"
                    + " cooking it is treated as a vegetable.", "Почему небо голубое?|Из-за рэлеевского рассеяния:"
                    + " молекулы воздуха сильнее рассеивают коротковолновый синий свет, поэтому он приходит к нам"
                    + " со всего неба."),
            new Bilingual("Suggest a name for a chat channel about releases.|How about #release-radar? It is short"
                    + " and says the channel tracks upcoming releases.", "Придумай название для чата команды"
                    + " поддержки.|Например, «Линия помощи» — коротко и сразу понятно, о чём чат."));

    /** Requests missing a required argument: the assistant asks instead of calling. */
    private record Clarification(String tool, String userEn, String answerEn, String userRu, String answerRu) {}

    private static final List<Clarification> CLARIFICATIONS = List.of(
            new Clarification("send_email", "Send an email to my accountant about the tax documents.",
                    "Sure. What is your accountant's email address, and what should the message say about the tax"
                    + " documents?", "Отправь письмо бухгалтеру насчёт налоговых документов.",
                    "Конечно. Подскажите адрес электронной почты бухгалтера и что именно написать про документы?"),
            new Clarification("get_weather", "Will I need an umbrella today?", "Which city are you in? I'll check"
                    + " the forecast.", "Мне сегодня понадобится зонт?", "В каком вы городе? Я проверю прогноз."),
            new Clarification("convert_currency", "Convert 500 for me.", "500 in which currency, and which currency"
                    + " should I convert it to?", "Переведи 500 в другую валюту.", "Уточните, пожалуйста: 500 в какой"
                    + " валюте и в какую валюту перевести?"),
            new Clarification("search_flights", "Find me a flight to Istanbul.", "From which city are you flying,"
                    + " and on what date?", "Найди мне рейс в Стамбул.", "Из какого города вы летите и на какую"
                    + " дату?"),
            new Clarification("create_calendar_event", "Put a meeting with the design team in my calendar.",
                    "When should it start and end? And should I invite anyone by email?", "Добавь в календарь встречу"
                    + " с дизайнерами.", "Когда она начинается и заканчивается? И пригласить ли кого-то по почте?"),
            new Clarification("create_support_ticket", "Open a ticket.", "What is the problem, and how urgent is it:"
                    + " low, medium, high or urgent?", "Заведи тикет.", "Опишите, пожалуйста, проблему и насколько она"
                    + " срочная: низкий, средний, высокий или срочный приоритет?"));

    private static final DateTimeFormatter OFFSET_DATE_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssXXX");
    private static final String[] RU_MONTHS = {"января", "февраля", "марта", "апреля", "мая", "июня", "июля",
        "августа", "сентября", "октября", "ноября", "декабря"};
    private static final String[] RU_WEEKDAYS = {"понедельник", "вторник", "среда", "четверг", "пятница", "суббота",
        "воскресенье"};

    // ---------------------------------------------------------------------------------------------------------

    /** One tool use: the user's request, the call, the tool's result and the assistant's answer to it. */
    private record Task(String tool, String request, ObjectNode arguments, JsonNode result, String answer) {}

    /** Builds one example from its own random stream. */
    private static final class Conversation {
        private final Random random;
        private final boolean russian;
        private final LocalDate today;
        private final ZoneId zone;
        private boolean datesUsed;
        private int callCounter;

        Conversation(Random random) {
            this.random = random;
            this.russian = random.nextInt(100) < 45;
            this.today = LocalDate.of(2025, 1, 6).plusDays(random.nextInt(360));
            this.zone = ZoneId.of(russian ? pick(List.of("Europe/Moscow", "Europe/Moscow", "Asia/Novosibirsk"))
                    : pick(List.of("Europe/Berlin", "Europe/London", "America/New_York", "Europe/Paris")));
        }

        ChatExample build() {
            int kind = random.nextInt(100);
            List<ChatMessage> messages = new ArrayList<>();
            List<String> tools = new ArrayList<>();
            Boolean parallel = null;
            if (kind < 28) {
                Task task = task(randomTool());
                tools.add(task.tool());
                messages.add(ChatMessage.user(task.request()));
                messages.add(ChatMessage.assistantCalls(List.of(call(task))));
                if (random.nextInt(100) < 8) {
                    parallel = false;
                }
            } else if (kind < 43) {
                List<Task> tasks = parallelTasks();
                tasks.forEach(t -> tools.add(t.tool()));
                messages.add(ChatMessage.user(joinRequests(tasks)));
                List<ToolCall> calls = tasks.stream().map(this::call).toList();
                messages.add(ChatMessage.assistantCalls(calls));
                if (random.nextBoolean()) {
                    for (int i = 0; i < tasks.size(); i++) {
                        messages.add(ChatMessage.toolResult(calls.get(i).id(), json(tasks.get(i).result())));
                    }
                    messages.add(ChatMessage.assistant(String.join(" ", tasks.stream().map(Task::answer).toList())));
                }
            } else if (kind < 70) {
                Task task = task(randomTool());
                tools.add(task.tool());
                addExchange(messages, task, null);
            } else if (kind < 80) {
                Task first = task(randomTool());
                Task second = task(randomTool());
                tools.add(first.tool());
                tools.add(second.tool());
                Double weight = random.nextInt(100) < 30 ? 0.0 : null;
                addExchange(messages, first, weight);
                addExchange(messages, second, null);
            } else if (kind < 92) {
                String[] qa = (russian ? pick(SMALL_TALK).ru() : pick(SMALL_TALK).en()).split("\\|", 2);
                messages.add(ChatMessage.user(qa[0]));
                messages.add(ChatMessage.assistant(qa[1]));
            } else {
                Clarification clarification = pick(CLARIFICATIONS);
                tools.add(clarification.tool());
                messages.add(ChatMessage.user(russian ? clarification.userRu() : clarification.userEn()));
                messages.add(ChatMessage.assistant(russian ? clarification.answerRu() : clarification.answerEn()));
                if (clarification.tool().equals("get_weather") && random.nextBoolean()) {
                    City city = pick(CITIES);
                    Task task = weather(city, false, 0);
                    messages.add(ChatMessage.user(russian ? "Я в " + city.ruPrep() + "." : "I'm in " + city.en() + "."));
                    addCallAndAnswer(messages, task, null);
                }
            }
            List<ChatMessage> withSystem = new ArrayList<>();
            String system = systemPrompt();
            if (system != null) {
                withSystem.add(ChatMessage.system(system));
            }
            withSystem.addAll(messages);
            return new ChatExample(withSystem, toolSet(tools), parallel);
        }

        private void addExchange(List<ChatMessage> messages, Task task, Double weight) {
            messages.add(ChatMessage.user(task.request()));
            addCallAndAnswer(messages, task, weight);
        }

        private void addCallAndAnswer(List<ChatMessage> messages, Task task, Double weight) {
            ToolCall call = call(task);
            messages.add(new ChatMessage(ChatMessage.ASSISTANT, null, List.of(call), null, null, weight));
            messages.add(ChatMessage.toolResult(call.id(), json(task.result())));
            messages.add(new ChatMessage(ChatMessage.ASSISTANT, task.answer(), null, null, null, weight));
        }

        /** The system prompt, which always states the date when a task used dates. */
        private String systemPrompt() {
            if (!datesUsed && random.nextInt(100) < 35) {
                return null;
            }
            String weekday = russian ? RU_WEEKDAYS[today.getDayOfWeek().getValue() - 1]
                    : today.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
            String date = russian
                    ? "Сегодня " + weekday + ", " + today.getDayOfMonth() + " " + RU_MONTHS[today.getMonthValue() - 1]
                            + " " + today.getYear() + " года. Часовой пояс пользователя: " + zone.getId() + "."
                    : "Today is " + weekday + ", " + today.getDayOfMonth() + " "
                            + today.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH) + " " + today.getYear()
                            + ". The user's time zone is " + zone.getId() + ".";
            String persona = russian
                    ? pick(List.of("Ты — ассистент, который помогает с делами и пользуется инструментами.",
                            "Ты — вежливый помощник. Отвечай кратко и по-русски."))
                    : pick(List.of("You are a helpful assistant with access to tools.",
                            "You are a concise assistant for a small business. Use tools when they help."));
            return persona + " " + date;
        }

        private List<ToolDefinition> toolSet(List<String> needed) {
            if (needed.isEmpty()) {
                List<List<ToolDefinition>> sets = new ArrayList<>(SampleTools.TOOL_SETS.values());
                return pick(sets);
            }
            List<List<ToolDefinition>> fitting = new ArrayList<>();
            for (List<ToolDefinition> set : SampleTools.TOOL_SETS.values()) {
                List<String> names = set.stream().map(t -> t.function().name()).toList();
                if (names.containsAll(needed)) {
                    fitting.add(set);
                }
            }
            return pick(fitting);
        }

        private ToolCall call(Task task) {
            callCounter++;
            String id = "call_" + Long.toHexString(random.nextLong() & 0xFFFFFFFFFFFFL) + callCounter;
            return ToolCall.of(id, task.tool(), json(task.arguments()));
        }

        private String randomTool() {
            return pick(SampleTools.ALL).function().name();
        }

        private Task task(String tool) {
            return switch (tool) {
                case "send_email" -> sendEmail();
                case "search_businesses" -> searchBusinesses();
                case "create_calendar_event" -> createEvent();
                case "list_calendar_events" -> listEvents();
                case "get_weather" -> weather(pick(CITIES), random.nextInt(100) < 15, random.nextInt(100) < 25
                        ? 2 + random.nextInt(4) : 0);
                case "convert_currency" -> convert(pick(CURRENCIES), null);
                case "lookup_crm_contact" -> crm();
                case "create_support_ticket" -> ticket();
                case "set_reminder" -> reminder();
                case "get_directions" -> directions();
                case "search_flights" -> flights();
                case "translate_text" -> translate();
                case "create_invoice" -> invoice();
                default -> throw new IllegalStateException("no sample task for " + tool);
            };
        }

        private List<Task> parallelTasks() {
            int shape = random.nextInt(3);
            if (shape == 0) {
                City a = pick(CITIES);
                City b = pickOther(CITIES, a);
                return List.of(weather(a, false, 0), weather(b, false, 0));
            }
            if (shape == 1) {
                Currency from = pick(CURRENCIES);
                Task first = convert(from, null);
                Task second = convert(from, first.arguments().get("amount").asDouble());
                if (second.arguments().get("to").asText().equals(first.arguments().get("to").asText())) {
                    return List.of(first);
                }
                return List.of(first, second);
            }
            String a = randomTool();
            String b = randomTool();
            while (b.equals(a)) {
                b = randomTool();
            }
            return List.of(task(a), task(b));
        }

        private String joinRequests(List<Task> tasks) {
            if (tasks.size() == 1) {
                return tasks.get(0).request();
            }
            Task first = tasks.get(0);
            Task second = tasks.get(1);
            if (first.tool().equals("get_weather") && second.tool().equals("get_weather")) {
                String a = first.arguments().get("city").asText();
                String b = second.arguments().get("city").asText();
                return russian ? "Какая сейчас погода в " + city(a).ruPrep() + " и в " + city(b).ruPrep() + "?"
                        : pick(List.of("What's the weather like in " + a + " and " + b + " right now?",
                                "Compare the current weather in " + a + " and " + b + "."));
            }
            if (first.tool().equals("convert_currency") && second.tool().equals("convert_currency")) {
                String amount = number(first.arguments().get("amount").asDouble());
                String from = first.arguments().get("from").asText();
                Currency to1 = currency(first.arguments().get("to").asText());
                Currency to2 = currency(second.arguments().get("to").asText());
                return russian ? "Сколько будет " + amount + " " + from + " " + to1.ruIn() + " и " + to2.ruIn() + "?"
                        : "How much is " + amount + " " + from + " in " + to1.en() + " and in " + to2.en() + "?";
            }
            return first.request() + (russian ? " И ещё: " : " Also, ") + lowerFirst(second.request());
        }

        // --- tasks ---------------------------------------------------------------------------------------------

        private Task weather(City city, boolean fahrenheit, int forecastDays) {
            ObjectNode args = object().put("city", city.en());
            if (random.nextInt(100) < 30) {
                args.put("country_code", city.country());
            }
            if (fahrenheit) {
                args.put("unit", "fahrenheit");
            }
            if (forecastDays > 0) {
                args.put("forecast_days", forecastDays);
            }
            int celsius = -8 + random.nextInt(40);
            int shown = fahrenheit ? Math.round(celsius * 9 / 5f + 32) : celsius;
            String unit = fahrenheit ? "°F" : "°C";
            Condition condition = pick(CONDITIONS);
            ObjectNode result = object().put("city", city.en()).put("temperature", shown)
                    .put("unit", fahrenheit ? "fahrenheit" : "celsius").put("condition", condition.en())
                    .put("humidity", 35 + random.nextInt(60)).put("wind_kph", random.nextInt(35));
            String request;
            String answer;
            if (forecastDays > 0) {
                ArrayNode days = result.putArray("forecast");
                int max = shown;
                int min = shown;
                for (int d = 1; d <= forecastDays; d++) {
                    int high = shown + random.nextInt(7) - 3;
                    int low = high - 4 - random.nextInt(5);
                    max = Math.max(max, high);
                    min = Math.min(min, low);
                    days.addObject().put("date", today.plusDays(d).toString()).put("high", high).put("low", low)
                            .put("condition", pick(CONDITIONS).en());
                }
                datesUsed = true;
                request = russian ? "Какой прогноз погоды в " + city.ruPrep() + " на " + forecastDays + " "
                                + (forecastDays < 5 ? "дня" : "дней") + "?"
                        : pick(List.of("What's the " + forecastDays + "-day forecast for " + city.en() + "?",
                                "Give me the weather in " + city.en() + " for the next " + forecastDays + " days."));
                answer = russian ? "Сейчас в " + city.ruPrep() + " " + shown + unit + ", " + condition.ru()
                                + ". В ближайшие " + forecastDays + " дн. температура будет от " + min + " до " + max
                                + unit + "."
                        : "Right now it's " + shown + unit + " with " + condition.en() + " in " + city.en()
                                + ". Over the next " + forecastDays + " days expect between " + min + " and " + max
                                + unit + ".";
            } else {
                request = russian
                        ? pick(List.of("Какая сейчас погода в " + city.ruPrep() + "?",
                                "Сколько градусов сейчас в " + city.ruPrep() + "?",
                                "Подскажи погоду в " + city.ruPrep() + (fahrenheit ? " в градусах Фаренгейта" : "")
                                        + ", пожалуйста."))
                        : pick(List.of("What's the weather in " + city.en() + " right now?",
                                "How warm is it in " + city.en() + " at the moment?",
                                "Is it raining in " + city.en() + "?"));
                if (fahrenheit && !russian) {
                    request = "What's the temperature in " + city.en() + " in Fahrenheit?";
                } else if (fahrenheit) {
                    request = "Подскажи погоду в " + city.ruPrep() + " в градусах Фаренгейта, пожалуйста.";
                }
                answer = russian ? "В " + city.ruPrep() + " сейчас " + shown + unit + ", " + condition.ru() + "."
                        : "It's currently " + shown + unit + " in " + city.en() + " with " + condition.en() + ".";
            }
            return new Task("get_weather", request, args, result, answer);
        }

        private Task convert(Currency from, Double fixedAmount) {
            Currency to = pickOther(CURRENCIES, from);
            double amount = fixedAmount != null ? fixedAmount : pick(List.of(50.0, 100.0, 250.0, 1200.0, 75.5, 3000.0,
                    19.99, 820.0, 15000.0));
            double rate = round(to.perUsd() / from.perUsd(), 4);
            double converted = round(amount * to.perUsd() / from.perUsd(), 2);
            ObjectNode args = object().put("amount", amount).put("from", from.code()).put("to", to.code());
            ObjectNode result = object().put("amount", amount).put("from", from.code()).put("to", to.code())
                    .put("rate", rate).put("converted", converted).put("date", today.toString());
            String request = russian
                    ? pick(List.of("Сколько будет " + number(amount) + " " + from.code() + " " + to.ruIn() + "?",
                            "Переведи " + number(amount) + " " + from.code() + " в " + to.code() + " по текущему курсу."))
                    : pick(List.of("How much is " + number(amount) + " " + from.en() + " in " + to.en() + "?",
                            "Convert " + number(amount) + " " + from.code() + " to " + to.code() + ".",
                            "I have " + number(amount) + " " + from.en() + ". What's that in " + to.code() + "?"));
            String answer = russian
                    ? number(amount) + " " + from.code() + " — это примерно " + number(converted) + " " + to.code()
                            + " (курс " + number(rate) + ")."
                    : number(amount) + " " + from.code() + " is about " + number(converted) + " " + to.code()
                            + " at today's rate of " + number(rate) + ".";
            return new Task("convert_currency", request, args, result, answer);
        }

        private Task sendEmail() {
            List<Person> people = russian ? PEOPLE_RU : PEOPLE_EN;
            Person to = pick(people);
            Email email = pick(EMAILS);
            String subject = russian ? email.subjectRu() : email.subjectEn();
            String body = String.format(russian ? email.bodyRu() : email.bodyEn(), to.first());
            ObjectNode args = object();
            args.putArray("to").add(to.email());
            Person cc = random.nextInt(100) < 25 ? pickOther(people, to) : null;
            if (cc != null) {
                args.putArray("cc").add(cc.email());
            }
            args.put("subject", subject).put("body", body);
            boolean urgent = random.nextInt(100) < 20;
            if (urgent) {
                args.put("priority", "high");
            }
            String request = russian
                    ? pick(List.of("Отправь письмо на " + to.email() + " с темой «" + subject + "» и текстом: " + body,
                            "Напиши на " + to.email() + ", тема «" + subject + "»: " + body))
                    : pick(List.of("Send an email to " + to.name() + " (" + to.email() + ") with the subject \""
                                    + subject + "\" saying: " + body,
                            "Email " + to.email() + ", subject \"" + subject + "\", text: " + body));
            if (cc != null) {
                request += russian ? " Поставь в копию " + cc.email() + "." : " Please cc " + cc.email() + ".";
            }
            if (urgent) {
                request += russian ? " Пометь как важное." : " Mark it as high priority.";
            }
            String messageId = "msg_" + Integer.toHexString(0x100000 + random.nextInt(0xEFFFFF));
            ObjectNode result = object().put("status", "sent").put("message_id", messageId);
            String answer = russian ? "Готово: письмо «" + subject + "» отправлено на " + to.email() + "."
                    : "Done: your email \"" + subject + "\" was sent to " + to.email() + ".";
            return new Task("send_email", request, args, result, answer);
        }

        private Task searchBusinesses() {
            City city = pick(CITIES);
            Business business = pick(BUSINESSES);
            ObjectNode args = object().put("query", russian ? business.ruNom() : business.en());
            ObjectNode location = args.putObject("location").put("city", city.en());
            if (random.nextBoolean()) {
                location.put("country", city.country());
            }
            boolean openNow = random.nextInt(100) < 35;
            Double minRating = random.nextInt(100) < 30 ? pick(List.of(4.0, 4.5)) : null;
            if (openNow) {
                args.put("open_now", true);
            }
            if (minRating != null) {
                args.put("min_rating", minRating);
            }
            String request = russian
                    ? "Найди " + business.ruAcc() + " в " + city.ruPrep()
                            + (openNow ? ", которая открыта сейчас" : "")
                            + (minRating != null ? ", с рейтингом от " + number(minRating) : "") + "."
                    : "Find a " + business.en() + " in " + city.en() + (openNow ? " that's open now" : "")
                            + (minRating != null ? " rated " + number(minRating) + " or higher" : "") + ".";
            if (russian && openNow) {
                request = "Найди " + business.ruAcc() + " в " + city.ruPrep() + ", открытую прямо сейчас"
                        + (minRating != null ? ", с рейтингом от " + number(minRating) : "") + ".";
            }
            ArrayNode results = object().arrayNode();
            List<String> names = new ArrayList<>(BUSINESS_NAMES);
            StringBuilder listing = new StringBuilder();
            int found = 2 + random.nextInt(2);
            boolean ruCity = city.country().equals("RU");
            for (int i = 0; i < found; i++) {
                String name = names.remove(random.nextInt(names.size()));
                double rating = round((minRating != null ? minRating : 3.8) + random.nextInt(6) / 10.0, 1);
                rating = Math.min(rating, 5.0);
                String address = ruCity ? pick(STREETS_RU) + ", " + (1 + random.nextInt(90))
                        : (1 + random.nextInt(200)) + " " + pick(STREETS_EN);
                results.addObject().put("name", name).put("rating", rating).put("address", address)
                        .put("open_now", openNow || random.nextBoolean());
                if (i > 0) {
                    listing.append("; ");
                }
                listing.append(name).append(" (").append(address).append(", ").append(number(rating)).append(")");
            }
            ObjectNode result = object();
            result.set("results", results);
            String answer = russian ? "Нашёл варианты в " + city.ruPrep() + ": " + listing + "."
                    : "Here are some options in " + city.en() + ": " + listing + ".";
            return new Task("search_businesses", request, args, result, answer);
        }

        private Task createEvent() {
            datesUsed = true;
            int offset = 1 + random.nextInt(14);
            LocalDate date = today.plusDays(offset);
            LocalTime start = LocalTime.of(9 + random.nextInt(8), random.nextBoolean() ? 0 : 30);
            LocalTime end = start.plusMinutes(pick(List.of(30, 60, 60, 90)));
            Bilingual title = pick(EVENT_TITLES);
            String titleText = russian ? title.ru() : title.en();
            ObjectNode args = object().put("title", titleText).put("start", dateTime(date, start))
                    .put("end", dateTime(date, end));
            Person guest = random.nextInt(100) < 55 ? pick(russian ? PEOPLE_RU : PEOPLE_EN) : null;
            if (guest != null) {
                args.putArray("attendees").addObject().put("email", guest.email());
            }
            Integer reminder = random.nextInt(100) < 25 ? pick(List.of(10, 15, 30)) : null;
            if (reminder != null) {
                args.put("reminder_minutes", reminder);
            }
            String request = russian
                    ? "Создай встречу «" + titleText + "» " + dayRu(offset, date) + " с " + time(start) + " до "
                            + time(end) + (guest != null ? ", пригласи " + guest.email() : "")
                            + (reminder != null ? ", напомни за " + reminder + " минут" : "") + "."
                    : "Schedule \"" + titleText + "\" " + dayEn(offset, date) + " from " + time(start) + " to "
                            + time(end) + (guest != null ? " and invite " + guest.email() : "")
                            + (reminder != null ? ", with a reminder " + reminder + " minutes before" : "") + ".";
            ObjectNode result = object().put("event_id", "evt_" + (10000 + random.nextInt(89999)))
                    .put("status", "confirmed");
            String answer = russian ? "Встреча «" + titleText + "» добавлена в календарь: " + dayRu(offset, date)
                            + ", " + time(start) + "–" + time(end) + "."
                    : "\"" + titleText + "\" is in your calendar " + dayEn(offset, date) + ", " + time(start) + "–"
                            + time(end) + ".";
            return new Task("create_calendar_event", request, args, result, answer);
        }

        private Task listEvents() {
            datesUsed = true;
            int span = random.nextInt(3);
            LocalDate from;
            LocalDate to;
            String when;
            if (span == 0) {
                from = today.plusDays(1);
                to = from;
                when = russian ? "завтра" : "tomorrow";
            } else if (span == 1) {
                from = today;
                to = today.with(TemporalAdjusters.nextOrSame(DayOfWeek.SUNDAY));
                when = russian ? "на этой неделе" : "for the rest of this week";
            } else {
                int offset = 2 + random.nextInt(10);
                from = today.plusDays(offset);
                to = from;
                when = dayRu(offset, from);
                when = russian ? when : dayEn(offset, from);
            }
            ObjectNode args = object().put("date_from", from.toString()).put("date_to", to.toString());
            String calendar = random.nextInt(100) < 35 ? pick(List.of("work", "personal")) : null;
            if (calendar != null) {
                args.put("calendar", calendar);
            }
            String request = russian
                    ? "Что у меня " + (calendar == null ? "в календаре"
                            : calendar.equals("work") ? "в рабочем календаре" : "в личном календаре") + " " + when + "?"
                    : "What's on my " + (calendar == null ? "" : calendar + " ") + "calendar " + when + "?";
            ArrayNode events = object().arrayNode();
            int count = random.nextInt(3);
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                Bilingual title = pick(EVENT_TITLES);
                LocalTime start = LocalTime.of(9 + 3 * i + random.nextInt(2), 0);
                LocalDate day = from.plusDays(random.nextInt((int) (to.toEpochDay() - from.toEpochDay()) + 1));
                events.addObject().put("title", russian ? title.ru() : title.en())
                        .put("start", dateTime(day, start)).put("end", dateTime(day, start.plusHours(1)));
                lines.add((russian ? title.ru() : title.en()) + " (" + day + ", " + time(start) + ")");
            }
            ObjectNode result = object();
            result.set("events", events);
            String answer = count == 0
                    ? (russian ? "В календаре " + when + " ничего не запланировано." : "Your calendar is free " + when + ".")
                    : (russian ? "Запланировано: " : "You have: ") + String.join("; ", lines) + ".";
            return new Task("list_calendar_events", request, args, result, answer);
        }

        private Task crm() {
            Person person = pick(russian ? PEOPLE_RU : PEOPLE_EN);
            int by = random.nextInt(3);
            boolean deals = random.nextInt(100) < 40;
            ObjectNode args = object();
            String request;
            if (by == 0) {
                args.put("query", person.name()).put("field", "name");
                request = russian ? "Найди в CRM контакт: " + person.name() + "." : "Look up " + person.name()
                        + " in the CRM.";
            } else if (by == 1) {
                args.put("query", person.email()).put("field", "email");
                request = russian ? "Чей это адрес: " + person.email() + "? Посмотри в CRM."
                        : "Who is " + person.email() + "? Check the CRM.";
            } else {
                args.put("query", person.company()).put("field", "company");
                request = russian ? "Кто наш контакт в компании «" + person.company() + "»?"
                        : "Who is our contact at " + person.company() + "?";
            }
            if (deals) {
                args.put("include_deals", true);
                request += russian ? " Покажи и открытые сделки." : " Include their open deals.";
            }
            if (random.nextInt(100) < 15) {
                ObjectNode error = object().put("error", "not_found").put("message", "No contact matches '"
                        + args.get("query").asText() + "'");
                String answer = russian ? "В CRM не нашлось контакта по запросу «" + args.get("query").asText()
                        + "». Проверьте написание или уточните компанию."
                        : "I couldn't find a contact matching \"" + args.get("query").asText()
                                + "\" in the CRM. Could you check the spelling or tell me the company?";
                return new Task("lookup_crm_contact", request, args, error, answer);
            }
            ObjectNode contact = object().put("name", person.name()).put("email", person.email())
                    .put("phone", person.phone()).put("company", person.company());
            String answer = russian ? person.name() + " (" + person.company() + "): " + person.email() + ", "
                    + person.phone() + "." : person.name() + " (" + person.company() + "): " + person.email() + ", "
                    + person.phone() + ".";
            if (deals) {
                int amount = 5000 + 1000 * random.nextInt(40);
                String stage = pick(List.of("proposal", "negotiation", "qualification"));
                contact.putArray("deals").addObject().put("name", russian ? "Внедрение CRM" : "CRM rollout")
                        .put("amount", amount).put("currency", russian ? "RUB" : "EUR").put("stage", stage);
                answer += russian ? " Открытая сделка: «Внедрение CRM» на " + amount + " RUB, этап " + stage + "."
                        : " Open deal: CRM rollout, " + amount + " EUR, stage " + stage + ".";
            }
            return new Task("lookup_crm_contact", request, args, contact, answer);
        }

        private Task ticket() {
            Ticket ticket = pick(TICKETS);
            String priority = pick(List.of("low", "medium", "high", "urgent"));
            Person customer = random.nextInt(100) < 70 ? pick(russian ? PEOPLE_RU : PEOPLE_EN) : null;
            String subject = russian ? ticket.subjectRu() : ticket.subjectEn();
            String description = russian ? ticket.descriptionRu() : ticket.descriptionEn();
            ObjectNode args = object().put("subject", subject).put("description", description).put("priority", priority);
            if (customer != null) {
                args.put("customer_email", customer.email());
            }
            boolean tagged = random.nextBoolean();
            if (tagged) {
                ArrayNode tags = args.putArray("tags");
                ticket.tags().forEach(tags::add);
            }
            Map<String, String> priorityRu = Map.of("low", "низкий", "medium", "средний", "high", "высокий",
                    "urgent", "срочный");
            String request = russian
                    ? "Заведи тикет «" + subject + "»: " + description + " Приоритет: " + priorityRu.get(priority) + "."
                            + (customer != null ? " Клиент: " + customer.email() + "." : "")
                            + (tagged ? " Теги: " + String.join(", ", ticket.tags()) + "." : "")
                    : "Open a " + priority + " priority ticket \"" + subject + "\": " + description
                            + (customer != null ? " Customer: " + customer.email() + "." : "")
                            + (tagged ? " Tag it " + String.join(" and ", ticket.tags()) + "." : "");
            String id = "TCK-" + (10000 + random.nextInt(89999));
            ObjectNode result = object().put("ticket_id", id).put("status", "open").put("priority", priority);
            String answer = russian ? "Тикет " + id + " создан с приоритетом «" + priorityRu.get(priority) + "»."
                    : "Ticket " + id + " is open with " + priority + " priority.";
            return new Task("create_support_ticket", request, args, result, answer);
        }

        private Task reminder() {
            datesUsed = true;
            Bilingual what = pick(REMINDERS);
            String text = russian ? what.ru() : what.en();
            LocalTime at = LocalTime.of(8 + random.nextInt(12), pick(List.of(0, 15, 30, 45)));
            boolean weekly = random.nextInt(100) < 25;
            LocalDate date;
            String request;
            if (weekly) {
                date = today.with(TemporalAdjusters.next(DayOfWeek.MONDAY));
                request = russian ? "Напоминай мне каждый понедельник в " + time(at) + " " + text + "."
                        : "Remind me every Monday at " + time(at) + " to " + text + ".";
            } else {
                int offset = random.nextInt(100) < 50 ? 1 : 2 + random.nextInt(10);
                date = today.plusDays(offset);
                request = russian ? pick(List.of("Напомни мне " + text + " " + dayRu(offset, date) + " в " + time(at)
                                + ".", "Поставь напоминание " + dayRu(offset, date) + " в " + time(at) + ": " + text
                                + "."))
                        : pick(List.of("Remind me to " + text + " " + dayEn(offset, date) + " at " + time(at) + ".",
                                "Set a reminder " + dayEn(offset, date) + " at " + time(at) + ": " + text + "."));
            }
            ObjectNode args = object().put("text", text).put("remind_at", dateTime(date, at));
            if (weekly) {
                args.put("repeat", "weekly");
            }
            ObjectNode result = object().put("reminder_id", "rem_" + (1000 + random.nextInt(8999)))
                    .put("remind_at", dateTime(date, at));
            String answer = russian ? "Напоминание создано: " + text + ", " + date + " в " + time(at)
                    + (weekly ? ", каждую неделю." : ".")
                    : "Reminder set: " + text + " on " + date + " at " + time(at) + (weekly ? ", every week." : ".");
            return new Task("set_reminder", request, args, result, answer);
        }

        private Task directions() {
            List<Route> routes = ROUTES.stream().filter(r -> r.russian() == russian).toList();
            Route route = pick(routes);
            String mode = pick(MODE_ORDER);
            ObjectNode args = object().put("origin", route.from()).put("destination", route.to());
            boolean statedMode = !mode.equals("driving") || random.nextBoolean();
            if (statedMode) {
                args.put("mode", mode);
            }
            String modeWords = MODES.get(mode)[russian ? 1 : 0];
            String request = russian
                    ? "Как добраться: " + route.from() + " → " + route.to() + (statedMode ? ", " + modeWords : "")
                            + "? Сколько это займёт?"
                    : "How do I get from " + route.from() + " to " + route.to() + (statedMode ? " " + modeWords : "")
                            + ", and how long will it take?";
            double km = round(1.5 + random.nextInt(200) / 10.0, 1);
            Map<String, Double> speed = Map.of("driving", 30.0, "walking", 4.8, "transit", 20.0, "bicycling", 14.0);
            int minutes = (int) Math.max(4, Math.round(km / speed.get(mode) * 60));
            ObjectNode result = object().put("distance_km", km).put("duration_minutes", minutes)
                    .put("mode", mode).put("summary", russian ? "через центр" : "via the city centre");
            String answer = russian ? "Маршрут " + number(km) + " км, около " + minutes + " мин " + modeWords + "."
                    : "It's " + number(km) + " km, about " + minutes + " minutes " + modeWords + ".";
            return new Task("get_directions", request, args, result, answer);
        }

        private Task flights() {
            datesUsed = true;
            City from = pick(CITIES);
            City to = pickOther(CITIES, from);
            int offset = 3 + random.nextInt(40);
            LocalDate depart = today.plusDays(offset);
            ObjectNode args = object().put("origin", from.iata()).put("destination", to.iata())
                    .put("departure_date", depart.toString());
            LocalDate back = random.nextBoolean() ? depart.plusDays(2 + random.nextInt(12)) : null;
            if (back != null) {
                args.put("return_date", back.toString());
            }
            int adults = 1 + (random.nextInt(100) < 35 ? 1 + random.nextInt(2) : 0);
            int children = random.nextInt(100) < 20 ? 1 + random.nextInt(2) : 0;
            if (adults > 1 || children > 0) {
                ObjectNode passengers = args.putObject("passengers").put("adults", adults);
                if (children > 0) {
                    passengers.put("children", children);
                }
            }
            String cabin = random.nextInt(100) < 20 ? "business" : null;
            if (cabin != null) {
                args.put("cabin", cabin);
            }
            String[] ruCount = {"", "одного", "двух", "трёх"};
            String request = russian
                    ? "Найди рейсы из " + from.ruGen() + " в " + to.ruAcc() + " на " + depart.getDayOfMonth() + " "
                            + RU_MONTHS[depart.getMonthValue() - 1]
                            + (back != null ? " с возвращением " + back.getDayOfMonth() + " "
                                    + RU_MONTHS[back.getMonthValue() - 1] : "")
                            + (adults > 1 || children > 0 ? " для " + ruCount[adults]
                                    + (adults == 1 ? " взрослого" : " взрослых")
                                    + (children > 0 ? " и " + (children == 1 ? "одного ребёнка" : "двух детей") : "")
                                    : "")
                            + (cabin != null ? ", бизнес-класс" : "") + "."
                    : "Find flights from " + from.en() + " to " + to.en() + " on " + monthDay(depart)
                            + (back != null ? ", returning " + monthDay(back) : "")
                            + (adults > 1 || children > 0 ? " for " + adults + (adults == 1 ? " adult" : " adults")
                                    + (children > 0 ? " and " + children + (children == 1 ? " child" : " children")
                                            : "") : "")
                            + (cabin != null ? " in business class" : "") + ".";
            ArrayNode flights = object().arrayNode();
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                String carrier = pick(List.of("LH", "AF", "BA", "SU", "TK", "EK", "S7", "OS"));
                String number = carrier + " " + (100 + random.nextInt(2800));
                LocalTime leave = LocalTime.of(6 + random.nextInt(14), 5 * random.nextInt(12));
                int price = (cabin != null ? 900 : 120) + 10 * random.nextInt(60);
                flights.addObject().put("flight", number).put("departure", depart + "T" + leave)
                        .put("stops", random.nextInt(100) < 70 ? 0 : 1).put("price", price).put("currency", "EUR");
                lines.add(number + (russian ? " в " : " at ") + leave + (russian ? " за " : " for ") + price + " EUR");
            }
            ObjectNode result = object();
            result.set("flights", flights);
            String answer = (russian ? "Нашёл рейсы: " : "I found: ") + String.join("; ", lines)
                    + (russian ? ". Цена за всех пассажиров." : ". Prices are for all passengers.");
            return new Task("search_flights", request, args, result, answer);
        }

        private Task translate() {
            Map<String, String> phrase = pick(PHRASES);
            String source = russian ? "ru" : "en";
            String target = pickOther(LANGUAGES, source);
            ObjectNode args = object().put("text", phrase.get(source)).put("target_language", target);
            boolean statedSource = random.nextInt(100) < 30;
            if (statedSource) {
                args.put("source_language", source);
            }
            String request = russian
                    ? "Переведи на " + LANGUAGE_NAMES.get(target)[1] + (statedSource ? " с русского" : "") + ": «"
                            + phrase.get(source) + "»"
                    : "Translate \"" + phrase.get(source) + "\" " + (statedSource ? "from English " : "") + "into "
                            + LANGUAGE_NAMES.get(target)[0] + ".";
            ObjectNode result = object().put("translation", phrase.get(target)).put("source_language", source);
            String answer = russian ? "Перевод: «" + phrase.get(target) + "»"
                    : "In " + LANGUAGE_NAMES.get(target)[0] + ": \"" + phrase.get(target) + "\"";
            return new Task("translate_text", request, args, result, answer);
        }

        private Task invoice() {
            String customer = String.format("CUST-%04d", 1 + random.nextInt(9999));
            String currency = russian ? pick(List.of("RUB", "EUR")) : pick(List.of("EUR", "USD", "GBP"));
            List<InvoiceItem> pool = new ArrayList<>(INVOICE_ITEMS);
            int lines = 1 + random.nextInt(3);
            ObjectNode args = object().put("customer_id", customer);
            ArrayNode items = args.putArray("items");
            List<String> described = new ArrayList<>();
            double total = 0;
            for (int i = 0; i < lines; i++) {
                InvoiceItem item = pool.remove(random.nextInt(pool.size()));
                int quantity = item.unitPrice() < 300 ? 1 + random.nextInt(8) : 1;
                int price = currency.equals("RUB") ? item.unitPrice() * 90 : item.unitPrice();
                items.addObject().put("description", russian ? item.ru() : item.en()).put("quantity", quantity)
                        .put("unit_price", price);
                total += quantity * price;
                described.add(russian ? item.ru() + " — " + quantity + " шт. по " + price
                        : quantity + " × " + item.en() + " at " + price);
            }
            args.put("currency", currency);
            LocalDate due = random.nextBoolean() ? today.plusDays(14 + random.nextInt(30)) : null;
            if (due != null) {
                datesUsed = true;
                args.put("due_date", due.toString());
            }
            String request = russian
                    ? "Выставь счёт клиенту " + customer + " в " + currency + ": " + String.join(", ", described)
                            + (due != null ? ", оплатить до " + due.getDayOfMonth() + " "
                                    + RU_MONTHS[due.getMonthValue() - 1] : "") + "."
                    : "Create an invoice for " + customer + " in " + currency + ": " + String.join(", ", described)
                            + (due != null ? ", due " + monthDay(due) : "") + ".";
            String id = "INV-" + today.getYear() + "-" + (100 + random.nextInt(900));
            ObjectNode result = object().put("invoice_id", id).put("total", total).put("currency", currency)
                    .put("status", "draft");
            String answer = russian ? "Счёт " + id + " на " + number(total) + " " + currency + " создан (черновик)."
                    : "Invoice " + id + " for " + number(total) + " " + currency + " is created as a draft.";
            return new Task("create_invoice", request, args, result, answer);
        }

        // --- helpers -------------------------------------------------------------------------------------------

        private String dateTime(LocalDate date, LocalTime time) {
            return ZonedDateTime.of(date, time, zone).format(OFFSET_DATE_TIME);
        }

        private String dayEn(int offset, LocalDate date) {
            return offset == 1 ? "tomorrow" : "on " + monthDay(date);
        }

        private String dayRu(int offset, LocalDate date) {
            return offset == 1 ? "завтра" : date.getDayOfMonth() + " " + RU_MONTHS[date.getMonthValue() - 1];
        }

        private static String monthDay(LocalDate date) {
            return date.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH) + " " + date.getDayOfMonth();
        }

        private String time(LocalTime time) {
            if (russian) {
                return String.format("%d:%02d", time.getHour(), time.getMinute());
            }
            int hour = time.getHour() % 12 == 0 ? 12 : time.getHour() % 12;
            return hour + (time.getMinute() == 0 ? "" : String.format(":%02d", time.getMinute()))
                    + (time.getHour() < 12 ? " am" : " pm");
        }

        private <T> T pick(List<T> values) {
            return values.get(random.nextInt(values.size()));
        }

        private <T> T pickOther(List<T> values, T not) {
            T value = pick(values);
            while (value.equals(not)) {
                value = pick(values);
            }
            return value;
        }

        private static City city(String en) {
            return CITIES.stream().filter(c -> c.en().equals(en)).findFirst().orElseThrow();
        }

        private static Currency currency(String code) {
            return CURRENCIES.stream().filter(c -> c.code().equals(code)).findFirst().orElseThrow();
        }

        private static String lowerFirst(String text) {
            return text.isEmpty() ? text : Character.toLowerCase(text.charAt(0)) + text.substring(1);
        }
    }

    private static ObjectNode object() {
        return ChatJson.MAPPER.createObjectNode();
    }

    private static String json(JsonNode node) {
        try {
            return ChatJson.MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static double round(double value, int decimals) {
        return BigDecimal.valueOf(value).setScale(decimals, RoundingMode.HALF_UP).doubleValue();
    }

    /** 250 rather than 250.0; 19.99 as is. */
    private static String number(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? String.valueOf((long) value)
                : BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }

}
