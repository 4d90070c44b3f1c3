## Админ-панель (владельцы и поддержка) и клиентская сторона службы поддержки.

adm-btn-back = ⬅️ Назад
adm-btn-cancel = ✖️ Отмена
adm-btn-stats = 📊 Статистика
adm-btn-tariffs = 🗂 Тарифы
adm-btn-promos = 🏷 Промокоды
adm-btn-find = 🔎 Найти клиента
adm-btn-broadcast = 📣 Рассылка
adm-btn-maintenance = 🛠 Техработы
adm-btn-panels = 🩺 Панели
adm-btn-new-tariff = ➕ Новый тариф
adm-btn-hide = 🙈 Снять с продажи
adm-btn-show = 👁 Вернуть в продажу
adm-btn-card = 📇 Открыть карточку
adm-btn-deactivate = ⛔ Отключить { $code }
adm-btn-new-promo = ➕ { $kind }
adm-btn-ban = 🚫 Заблокировать
adm-btn-unban = ✅ Разблокировать
adm-btn-grant = ➕ Дни
adm-btn-take = ➖ Дни
adm-btn-resync = 🔄 Синхронизировать доступ
adm-btn-message = ✉️ Написать
adm-btn-refund = ↩️ Возврат { $amount } от { $date }
adm-btn-confirm = ✅ Подтвердить
adm-btn-topic = 💬 Тема поддержки
adm-btn-topic-close = 🔒 Закрыть тему
adm-btn-topic-reopen = 🔓 Открыть тему
adm-btn-skip = ⏭ Без кнопки
adm-btn-preview = 👁 Предпросмотр и подтверждение
adm-btn-start-broadcast = 🚀 Отправить
adm-btn-discard = 🗑 Удалить
adm-btn-refresh = 🔄 Обновить
adm-btn-stop = ⏹ Остановить
adm-btn-on = 🛠 Включить
adm-btn-off = ✅ Выключить

adm-role-owner = владелец
adm-role-support = поддержка
adm-yes = да
adm-no = нет

adm-menu =
    <b>🛡 Админ-панель</b>
    Ваша роль: { $role }
adm-denied = 🚫 Ваша роль не позволяет это сделать.
adm-invalid = ⚠️ { $detail }
adm-not-found = 🔍 Не найдено: { $what }
adm-unchanged = Менять нечего.
adm-done = ✅ Готово.

adm-stats =
    <b>📊 Статистика</b> · { $at } UTC

    <b>👥 Клиенты:</b> { $total }
    новые: сегодня { $today } · 7 дней { $week } · 30 дней { $month }

    <b>🔑 Подписки:</b> активные { $active } · пробные { $trial } · истёкшие { $expired } · приостановлены { $suspended }

    <b>💰 Выручка</b>
    сегодня: { $rev_today }
    7 дней: { $rev_week }
    30 дней: { $rev_month }

    <b>🛒 Конверсия</b> ({ $window } дн.): оплатили { $paid } из { $started } ({ $conversion })
    <b>📉 Отток</b> ({ $window } дн.): { $churned } из { $base } ({ $churn })

adm-tariffs = <b>🗂 Тарифы</b> ({ $count }). 🙈 — снят с продажи.
adm-tariff-card =
    <b>{ $name }</b> · <code>{ $code }</code> · { $state }
    Названия: { $names }
    Описания: { $descriptions }
    Периоды:
    { $options }
    Трафик: { $traffic } · устройства: { $devices }
    Панель: { $panel }
    Доступность: { $availability } · порядок: { $order }

    Изменения действуют только для новых покупок: оплаченные периоды не меняются.
adm-tariff-visible = в продаже
adm-tariff-hidden = скрыт
adm-tariff-new =
    <b>➕ Новый тариф</b>
    Пришлите тариф строками <code>ключ: значение</code>, например:
    <pre>{ $example }</pre>
adm-tariff-edit =
    <b>✏️ { $field }</b>
    Пришлите новое значение строками <code>ключ: значение</code>, например:
    <pre>{ $example }</pre>
adm-tariff-saved = ✅ Тариф сохранён.
adm-tariff-created = ✅ Тариф <code>{ $code }</code> создан.
adm-tariff-shown = 👁 Тариф снова в продаже.
adm-tariff-hid = 🙈 Тариф снят с продажи. Действующие подписки продолжаются.
adm-field-names = Названия
adm-field-descriptions = Описания
adm-field-options = Периоды и цены
adm-field-limits = Лимиты
adm-field-binding = Привязка к панели
adm-field-availability = Доступность
adm-field-order = Порядок

adm-promos =
    <b>🏷 Промокоды</b> (использовано / лимит)
    { $list }
adm-promos-empty = Промокодов пока нет.
adm-promo-new =
    <b>➕ { $kind }</b>
    Пришлите <code>КОД ЗНАЧЕНИЕ [uses=N] [per=N] [until=ГГГГ-ММ-ДД] [first]</code>, например:
    <pre>{ $example }</pre>
adm-promo-created = ✅ Промокод <code>{ $code }</code> создан.
adm-promo-deactivated = ⛔ Промокод <code>{ $code }</code> отключён. Уже сделанные активации остаются.
adm-promo-kind-percent = Скидка в процентах
adm-promo-kind-fixed = Скидка суммой
adm-promo-kind-bonus-days = Бонусные дни
adm-promo-kind-trial-extension = Длиннее пробный
adm-promo-kind-balance-credit = Пополнение баланса

adm-find-prompt = 🔎 Пришлите Telegram id или @username клиента.
adm-customer-card =
    <b>📇 { $name }</b> · <code>{ $id }</code>
    С { $since } · язык { $language } · заблокирован: { $banned }
    Баланс: { $balance }

    <b>Подписки и доступ</b>
    { $subscriptions }

    <b>Платежи</b>
    { $payments }

    <b>Рефералы:</b> приглашено { $invited }, оплатили { $invited_paid }, заработано { $earned }
adm-banned = 🚫 Заблокирован; приостановлено подписок: { $suspended }.
adm-unbanned = ✅ Разблокирован; снова активны подписок: { $reactivated }.
adm-resynced = 🔄 В очередь на синхронизацию с панелью: { $count }.
adm-grant-prompt = ➕ Сколько дней добавить?
adm-take-prompt = ➖ Сколько дней убрать?
adm-message-prompt = ✉️ Пришлите сообщение для клиента (обычный текст).
adm-message-queued = ✉️ Сообщение отправляется.
adm-days-changed = ✅ Подписка теперь заканчивается { $until } UTC.
adm-refund-confirm = ↩️ Вернуть этот платёж? Оплаченные дни будут сняты, деньги вернутся через платёжную систему.
adm-refunded = ↩️ Возврат: { $outcome }; снято дней: { $days }.

adm-broadcast-text = 📣 Пришлите текст рассылки (форматирование сохранится) или фото с подписью.
adm-broadcast-button = Добавить кнопку? Пришлите <code>Текст кнопки | https://example.com</code> или нажмите «Без кнопки».
adm-broadcast-audience = 👥 Кому отправить?
adm-broadcast-drafted = ☝️ Так будет выглядеть рассылка. Проверьте размер аудитории и отправьте.
adm-broadcast-preview =
    <b>📣 Готово к отправке</b>
    Аудитория: { $audience }
    Получателей сейчас: <b>{ $recipients }</b>
adm-broadcast-progress =
    <b>📣 Рассылка</b> — { $status }
    отправлено { $sent } · заблокировали { $blocked } · ошибки { $failed } · осталось { $left } из { $total }
    обновлено { $at } UTC
adm-broadcast-stopped = ⏹ Рассылка остановлена.
adm-broadcast-draft = черновик
adm-broadcast-running = отправляется…
adm-broadcast-cancelled = остановлена
adm-broadcast-done = завершена
adm-audience-all = Все
adm-audience-active = Активные
adm-audience-expired = Истёкшие
adm-audience-trial = На пробном
adm-audience-never-paid = Не платили
adm-audience-tariff = По тарифу

adm-maintenance =
    <b>🛠 Режим техработ</b>
    Когда включён, клиенты получают вежливое «скоро вернёмся»; платежи и вебхуки продолжают обрабатываться, у админов доступ остаётся.
adm-maintenance-on = 🛠 Режим техработ включён.
adm-maintenance-off = ✅ Режим техработ выключен.

adm-panels =
    <b>🩺 Панели</b>
    { $list }
adm-panels-none = Панели не настроены.
adm-panel-line = { $icon } { $panel }: цепь { $circuit }, { $latency }, аккаунтов { $accounts }{ $nodes } { $error }
adm-panel-nodes = , ноды { $online } онлайн / { $offline } офлайн

sd-prompt = 💬 Напишите ваш вопрос здесь — текст, фото или файлы. Команда ответит в этом чате. Когда закончите, нажмите «Готово».
sd-sent = ✅ Отправлено в поддержку. Ответим здесь.
sd-closed = Спасибо! Пишите /support в любое время.
sd-contact = 💬 Напишите { $contact } — мы поможем.
sd-btn-contact = 💬 Написать в поддержку
sd-btn-done = ✅ Готово
